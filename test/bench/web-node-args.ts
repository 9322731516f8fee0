import { readProcfile } from '../helpers/read-procfile';

/**
 * The node options of the Procfile's web command (`node <options> dist/server.js`), so that the
 * benchmark runs the project's server exactly as Heroku starts it. Throws if the command has
 * another shape, rather than measuring something else.
 */
export function webNodeArgs(procfile: string): string[] {
  const web = readProcfile(procfile).find((process) => process.type === 'web');
  const words = web?.command.split(/\s+/) ?? [];
  if (words[0] !== 'node' || words[words.length - 1] !== 'dist/server.js') {
    throw new Error(`the Procfile's web command is not "node [options] dist/server.js": ${web?.command ?? '(none)'}`);
  }
  return words.slice(1, -1);
}
