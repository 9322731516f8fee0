import type { HttpStatus } from './create-http-handler';

/** A short HTML page: the app, its version and the path of every workflow. */
export function renderHomePage({ app, workflows, sessions }: HttpStatus): string {
  const items = workflows.map((name) => `<li><code>/${escapeHtml(name)}</code></li>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(app.name)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; line-height: 1.5">
<h1>${escapeHtml(app.name)} <small>${escapeHtml(app.version)}</small></h1>
<p>This server hosts Relay workflows over WebSocket. Register each one with the <code>relay</code> CLI
as <code>wss://&lt;this host&gt;/&lt;workflow&gt;</code>.</p>
<h2>Workflows</h2><ul>${items}</ul>
<p>Open sessions: ${sessions}</p>
</body></html>
`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
