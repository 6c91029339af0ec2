/**
 * `fieldbridge validate <config>`: checks a config and every mapping file it names without starting
 * anything, and prints every problem like a compiler (file:line:col, JSON path, message). Exit code 0
 * when the gateway would start, 1 otherwise; warnings alone do not fail.
 */
import type { Output } from '../cli.ts';
import { loadConfig, tagCount } from '../config/load.ts';
import { formatProblems, plural } from '../config/problems.ts';

export async function runValidate(
  configPath: string,
  out: Output,
  options: { readonly env?: NodeJS.ProcessEnv; readonly cwd?: string } = {},
): Promise<number> {
  const result = await loadConfig(configPath, options.env === undefined ? {} : { env: options.env });
  const cwd = options.cwd ?? process.cwd();
  if (result.ok) {
    const { devices } = result.config;
    const tags = devices.reduce((sum, device) => sum + tagCount(device), 0);
    const files = new Set(devices.map((device) => device.mappingFile)).size;
    out.log(
      `✔ ${configPath} is valid: ${plural(devices.length, 'device')}, ${plural(tags, 'tag')} (${plural(files, 'mapping file')})`,
    );
    for (const line of formatProblems(result.warnings, { cwd, label: 'warning: ' })) out.log(`⚠ ${line}`);
    return 0;
  }
  for (const line of formatProblems(result.problems, { cwd })) out.error(line);
  for (const line of formatProblems(result.warnings, { cwd, label: 'warning: ' })) out.error(`⚠ ${line}`);
  const files = new Set(result.problems.map((problem) => problem.file)).size;
  out.error(`✘ ${plural(result.problems.length, 'problem')} in ${plural(files, 'file')}`);
  return 1;
}
