/** `<type>: <command>` lines, as `heroku local` parses a Procfile (blank lines and `#` comments skipped). */
export function readProcfile(text: string): Array<{ type: string; command: string }> {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'))
    .map((line) => {
      const match = /^([A-Za-z0-9_-]+):\s*(.+)$/.exec(line.trim());
      if (match === null) throw new Error(`Procfile line is not "<type>: <command>": ${line}`);
      return { type: match[1]!, command: match[2]!.trim() };
    });
}
