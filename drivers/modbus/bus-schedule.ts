/**
 * The poll schedule of one bus (see bus.ts): each member (device) has a poll grid (start + phase +
 * k·interval, first poll at once), and the member whose slot is the earliest runs next, so devices on a
 * busy line take turns instead of one starving the others. A poll may start up to one interval late;
 * slots missed by more than that are skipped, never queued (a queue of overdue polls would only grow),
 * counted, and logged once per bus after a few (one GC pause is noise): the configured polls do not fit
 * in the line's capacity.
 */
import type { BusMember } from './bus.ts';
import type { LineUsers } from './line-users.ts';

/** Skipped slots on a bus before the one-time overload warning. */
const OVERLOAD_REPORT_AFTER = 5;

interface Slot {
  readonly member: BusMember;
  due: number;
  /** Until the first poll has run: the phase still to add to its grid. */
  phase: number;
}

/** The member to poll now, or how long to wait until one is due (Infinity: no member). */
export type NextPoll = { readonly member: BusMember } | { readonly waitMs: number };

export class BusSchedule {
  readonly #name: string;
  readonly #now: () => number;
  readonly #users: LineUsers;
  readonly #slots: Slot[] = [];
  #skippedPolls = 0;
  #overloadLogged = false;

  constructor(name: string, now: () => number, users: LineUsers) {
    this.#name = name;
    this.#now = now;
    this.#users = users;
  }

  get skippedPolls(): number {
    return this.#skippedPolls;
  }

  /** Adds a member (its first poll is due at once); returns the detach function. */
  attach(member: BusMember): () => void {
    const phase = member.phaseMs ?? 0;
    const slot: Slot = {
      member,
      due: this.#now(),
      phase: phase > 0 && phase < member.intervalMs ? phase : 0,
    };
    this.#slots.push(slot);
    return () => {
      const index = this.#slots.indexOf(slot);
      if (index >= 0) this.#slots.splice(index, 1);
    };
  }

  /** Takes the earliest due slot (advancing its grid past skipped slots) or says how long to wait. */
  next(): NextPoll {
    let slot: Slot | undefined;
    for (const s of this.#slots) if (slot === undefined || s.due < slot.due) slot = s;
    if (slot === undefined) return { waitMs: Number.POSITIVE_INFINITY };
    const now = this.#now();
    if (slot.due > now) return { waitMs: slot.due - now };
    const interval = slot.member.intervalMs;
    const missed = Math.floor((now - slot.due) / interval);
    if (missed > 0) {
      slot.due += missed * interval;
      this.#skip(slot.member, missed);
    }
    slot.due += slot.phase > 0 ? slot.phase : interval;
    slot.phase = 0;
    return { member: slot.member };
  }

  #skip(member: BusMember, count: number): void {
    this.#skippedPolls += count;
    member.skipped(count);
    if (this.#overloadLogged || this.#skippedPolls < OVERLOAD_REPORT_AFTER) return;
    this.#overloadLogged = true;
    const demand = this.#slots.map((s) => `${s.member.name} every ${s.member.intervalMs} ms`).join(', ');
    this.#users.log((log) =>
      log.warn(
        "%s: the configured polls do not fit in the line's capacity (%s); %d poll slot(s) skipped so far, overdue polls are skipped rather than piled up (see skippedPolls). Lower the poll rates, the timeouts or the number of devices on this line",
        this.#name,
        demand,
        this.#skippedPolls,
      ),
    );
  }
}
