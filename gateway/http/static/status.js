// The status page: polls /api/status every second and redraws the tables. Plain browser JavaScript, no
// build step. Values are set with textContent only: tag values and error texts come from field devices.

const REFRESH_MS = 1000;

function cell(row, text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function age(ms) {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60000)} min`;
}

function formatValue(value) {
  if (value === null) return '—';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** What the queue's open found: damage (what was lost, where the copy is) or a crash's unstored seqs. */
function storeText(q) {
  const d = q.storeDamage;
  if (d !== null) {
    const lost = d.lossKnown
      ? `${d.lostMessages} messages lost`
      : 'loss unknown (the previous process did not stop cleanly)';
    const kept = [d.movedTo, d.walCopy].filter((p) => p !== null).join(', ');
    return `DAMAGED at start: ${lost}${kept === '' ? '' : `; copy kept in ${kept}`}`;
  }
  if (q.unstoredSeqs !== null) {
    return `ok; seqs ${q.unstoredSeqs.from}–${q.unstoredSeqs.to} skipped after an unclean stop (not loss)`;
  }
  return 'ok';
}

function replaceRows(tbody, rows) {
  tbody.replaceChildren(...rows);
}

function render(status) {
  document.getElementById('gateway-id').textContent = status.gateway.id;
  const summary = document.getElementById('summary');
  // Ready with problems listed is "degraded": a broker outage or failing devices (gateway/http/readiness.ts).
  const degraded = status.gateway.ready && status.gateway.problems.length > 0;
  const verdict = !status.gateway.ready ? 'not ready' : degraded ? 'ready, degraded' : 'ready';
  summary.textContent = `${verdict} · version ${status.gateway.version} · up ${age(status.gateway.uptimeSeconds * 1000)}`;
  summary.className = !status.gateway.ready ? 'not-ready' : degraded ? 'degraded' : 'ready';
  replaceRows(
    document.getElementById('problems'),
    status.gateway.problems.map((p) => {
      const li = document.createElement('li');
      li.textContent = p;
      return li;
    }),
  );

  const broker = document.getElementById('broker-state');
  broker.textContent = status.broker.connected
    ? 'connected'
    : `disconnected${status.broker.lastError ? `: ${status.broker.lastError}` : ''}`;
  broker.className = status.broker.connected ? 'connected' : 'disconnected';
  document.getElementById('broker-counts').textContent =
    `${status.broker.published} / ${status.broker.acknowledged} (in flight ${status.broker.inflight}, reconnects ${status.broker.reconnects})`;
  const q = status.queue;
  const queue = document.getElementById('queue-state');
  queue.textContent = `${q.depth} messages, ${q.bytes} bytes${q.oldestAgeSeconds === null ? '' : `, oldest ${age(Math.round(q.oldestAgeSeconds * 1000))}`}, dropped ${q.dropped}${q.degraded ? ' — WRITES FAILING' : ''}`;
  queue.className = q.degraded ? 'bad' : '';
  const notQueued = q.notQueued.writeFailed + q.notQueued.backPressure;
  const loss = document.getElementById('queue-loss');
  loss.textContent = `${notQueued} (write failed / disk full ${q.notQueued.writeFailed}, back-pressure ${q.notQueued.backPressure}), ${q.pendingBytes} bytes waiting to be written`;
  loss.className = notQueued > 0 ? 'bad' : '';
  const store = document.getElementById('queue-store');
  store.textContent = storeText(q);
  store.className = q.storeDamage === null ? '' : 'bad';

  replaceRows(
    document.querySelector('#devices tbody'),
    status.devices.map((d) => {
      const row = document.createElement('tr');
      row.dataset.device = d.name;
      cell(row, d.name);
      cell(row, d.driver);
      cell(row, d.state, d.state);
      cell(row, String(d.polls));
      cell(row, `${d.failedPollPercent}%`);
      cell(row, d.lastError ?? '');
      return row;
    }),
  );
  replaceRows(
    document.querySelector('#tags tbody'),
    status.devices.flatMap((d) =>
      d.tags.map((t) => {
        const row = document.createElement('tr');
        row.dataset.tag = `${d.name}/${t.name}`;
        cell(row, d.name);
        cell(row, t.name);
        cell(row, formatValue(t.value), 'value');
        cell(row, t.quality, t.quality);
        cell(row, t.ageMs === null ? '' : age(t.ageMs));
        cell(row, t.error ?? '');
        return row;
      }),
    ),
  );
  document.getElementById('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
}

async function refresh() {
  try {
    const response = await fetch('api/status', { cache: 'no-store' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    render(await response.json());
  } catch (error) {
    document.getElementById('summary').textContent = `cannot reach the gateway: ${error.message}`;
    document.getElementById('summary').className = 'not-ready';
  } finally {
    setTimeout(refresh, REFRESH_MS);
  }
}

refresh();
