/**
 * The status page for people (`GET /` in a browser): what this server is, whether it is up, and
 * for every workflow the URL to register and either its registration state at Relay (with API
 * credentials) or the `relay` command that registers it (without).
 */
import type { SuggestedTrigger } from '../relay/workflow-registry';
import type { RegistrationCheck, RegistrationState } from './registration-status';
import {
  DEVICE_PLACEHOLDER,
  TOKEN_PLACEHOLDER,
  type RouteEntry,
  type StatusReport,
  type WorkflowReport,
} from './status';

const STYLE = `
:root{color-scheme:light dark;--bg:#f6f7f9;--card:#fff;--ink:#1d2330;--muted:#5b6475;--line:#dde1e8;--accent:#6d28d9;--ok:#15803d;--warn:#b45309;--code:#f1f3f7}
@media (prefers-color-scheme:dark){:root{--bg:#11141a;--card:#1a1f28;--ink:#e8ebf1;--muted:#9aa3b2;--line:#2c3340;--accent:#a78bfa;--ok:#4ade80;--warn:#fbbf24;--code:#232a35}}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--ink);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:56rem;margin:0 auto;padding:2rem 1.25rem 3rem}
header{display:flex;flex-wrap:wrap;align-items:baseline;gap:.5rem 1rem;margin-bottom:.25rem}
h1{font-size:1.6rem;margin:0}h2{font-size:1.15rem;margin:2rem 0 .75rem}h3{font-size:1.1rem;margin:0}
.version{color:var(--muted);font-size:.95rem}.pill{display:inline-block;padding:.1rem .6rem;border-radius:999px;font-size:.8rem;font-weight:600;border:1px solid currentColor}
.ok{color:var(--ok)}.draining{color:var(--warn)}.lead{color:var(--muted);margin:.25rem 0 1.25rem}
dl.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(10rem,1fr));gap:.75rem;margin:0}
.facts div{background:var(--card);border:1px solid var(--line);border-radius:.6rem;padding:.6rem .8rem}
.facts dt{font-size:.8rem;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}.facts dd{margin:0;font-weight:600;overflow-wrap:anywhere}
.card{background:var(--card);border:1px solid var(--line);border-radius:.75rem;padding:1rem 1.1rem;margin-bottom:1rem}
.card p{margin:.35rem 0 .75rem;color:var(--muted)}.label{font-size:.8rem;color:var(--muted);margin:.6rem 0 .2rem}
.trigger{font-size:.85rem;color:var(--accent);font-weight:600;margin-left:.5rem}
.state{font-weight:600;margin:.6rem 0 0}.state.in-step{color:var(--ok)}.state.differs,.state.not-registered,.state.error,.state.invalid{color:var(--warn)}.state.checking{color:var(--muted)}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.88rem}
pre,.url{background:var(--code);border:1px solid var(--line);border-radius:.45rem;padding:.55rem .7rem;margin:0;white-space:pre-wrap;overflow-wrap:anywhere;user-select:all}
.url{display:block}.command{overflow-wrap:normal}.command .w{display:inline-block;max-width:100%;overflow-wrap:anywhere}.note{border-left:4px solid var(--warn);background:var(--card);padding:.6rem .9rem;border-radius:.4rem;margin:1rem 0}
p code,.note code,footer code{white-space:nowrap}
ul.routes{margin:0;padding-left:1.25rem}ul.routes li{margin:.15rem 0}
footer{margin-top:2rem;color:var(--muted);font-size:.9rem}a{color:var(--accent)}
`;

/**
 * The page from a report. Every value is escaped; the page has no script and loads nothing else.
 */
export function renderStatusPage(report: StatusReport): string {
  const { app } = report;
  const withCommands = report.registrations === null;
  const workflows = report.workflows.map((workflow) => renderWorkflow(workflow, withCommands)).join('\n');
  const placeholders = withCommands && report.workflows.some(({ command }) => command?.includes(DEVICE_PLACEHOLDER));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(app.name)}: Relay workflows</title><style>${STYLE}</style></head>
<body><main>
<header><h1>${escapeHtml(app.name)}</h1><span class="version">v${escapeHtml(app.version)}</span>
<span class="pill ${report.status}">${report.status === 'ok' ? 'up' : 'draining'}</span></header>
${withCommands ? commandsLead() : registrationsLead(report.registrations!)}
<dl class="facts">
${fact('Heroku release', report.heroku.release ?? 'unknown')}
${fact('Commit', report.heroku.commit?.slice(0, 12) ?? 'unknown')}
${fact('Uptime', formatUptime(report.uptimeSeconds))}
${fact('Open sessions', String(report.sessions))}
${fact('Session bus', describeBus(report.bus))}
</dl>
${report.bus.kind === 'redis' && report.bus.state !== 'ready' ? busNote(report.bus.state) : ''}
${report.heroku.release === null ? '<p class="lead">Release and commit appear once dyno metadata is on: <code>heroku labs:enable runtime-dyno-metadata</code>, then deploy again.</p>' : ''}
${reachabilityNote(report)}
${report.access.startsWith('token') ? tokenNote() : ''}${report.access === 'open' ? openNote() : ''}
<h2>Workflows (${report.workflows.length})</h2>
${workflows || '<p>No workflows are registered in this server.</p>'}
<h2>HTTP routes (${report.routes.length})</h2>
<ul class="routes">
${report.routes.map(renderRoute).join('\n')}
</ul>
<footer>${placeholders ? `In each command, replace <code>${escapeHtml(DEVICE_PLACEHOLDER)}</code> with the id of the device to install on (or set <code>RELAY_INSTALL</code>).\n` : ''}Machine-readable: this page with <code>Accept: application/json</code>; liveness: <a href="/health">/health</a>.</footer>
</main></body></html>
`;
}

function renderRoute(route: RouteEntry): string {
  return `<li><code>${escapeHtml(route.methods.join(', '))} ${escapeHtml(route.path)}</code></li>`;
}

function renderWorkflow(workflow: WorkflowReport, withCommands: boolean): string {
  const command =
    workflow.command === null
      ? '<p>This workflow declares no <code>registration</code>; export one next to its code to get a command here.</p>'
      : !withCommands
        ? renderState(workflow.registrationState)
        : `<div class="label">Register it</div><pre class="command">${renderCommand(workflow.command)}</pre>`;
  return `<section class="card workflow" id="workflow-${escapeHtml(workflow.name)}">
<h3><code>/${escapeHtml(workflow.name)}</code>${workflow.trigger === null ? '' : `<span class="trigger">${escapeHtml(describeTrigger(workflow.trigger))}</span>`}</h3>
${workflow.description === null ? '' : `<p>${escapeHtml(workflow.description)}</p>`}
<div class="label">WebSocket URL</div><code class="url">${escapeHtml(workflow.url)}</code>
${command}
</section>`;
}

/**
 * Each shell word (a flag with its value) in its own inline block, so lines wrap between them and
 * never inside one (a browser would otherwise break `--arg` after its first dash); the text copies
 * unchanged.
 */
function renderCommand(command: string): string {
  const words = command.match(/(?:[^\s'\\]+|\\.|'[^']*')+/g) ?? [];
  // A flag stays on the line of its value.
  const groups: string[] = [];
  for (const word of words) {
    const last = groups.length - 1;
    if (last >= 0 && /^-/.test(groups[last]!) && !groups[last]!.includes(' ') && !word.startsWith('-'))
      groups[last] += ` ${word}`;
    else groups.push(word);
  }
  return groups.map((group) => `<span class="w">${escapeHtml(group)}</span>`).join(' ');
}

/** Without API credentials: the commands below, for relay CLI 1.x. */
function commandsLead(): string {
  return `<p class="lead">This server hosts Relay voice workflows over WebSocket. Register each one below with the
<code>relay</code> CLI 1.x (<code>npm install -g @relaypro/cli</code>, then <code>relay login</code>), or set
<code>RELAY_API_KEY</code> and <code>RELAY_SUBSCRIBER_ID</code> and every deploy registers them (<code>npm run register</code>).</p>`;
}

/** With API credentials: when Relay was read, what it said, and what `npm run register` does about it. */
function registrationsLead(check: RegistrationCheck): string {
  const when =
    check.checkedAt === null
      ? 'Checking Relay’s registrations…'
      : `Relay’s registrations as read at ${escapeHtml(check.checkedAt)} (read again at most once a minute).`;
  const leftOver =
    check.leftOver.length === 0
      ? ''
      : `<p class="lead">Registered at this host but served by no workflow (<code>npm run register</code> deletes them): ${check.leftOver.map((name) => `<code>${escapeHtml(name)}</code>`).join(', ')}.</p>`;
  const error =
    check.error === null
      ? ''
      : `<div class="note"><strong>Relay could not be read:</strong> <span class="relay-error">${escapeHtml(check.error)}</span></div>`;
  return `<p class="lead">This server hosts Relay voice workflows over WebSocket. ${when} Each deploy brings them in step
with the code unless <code>RELAY_REGISTER_ON_RELEASE=off</code> (<code>heroku run npm run register</code> does it by hand;
<code>-- --dry-run</code> shows the plan).</p>
${error}${leftOver}`;
}

/** One workflow's registration state at Relay. */
function renderState(state: RegistrationState | null): string {
  if (state === null) return '';
  const text = (() => {
    switch (state.state) {
      case 'checking':
        return 'Relay: checking…';
      case 'in-step':
        return 'Relay: registered, in step';
      case 'differs':
        return `Relay: differs: ${state.fields.join(', ')}`;
      case 'not-registered':
        return 'Relay: not registered';
      case 'invalid':
        return `cannot be registered: ${state.message}`;
      case 'error':
        return `Relay error: ${state.message}`;
    }
  })();
  return `<p class="state ${state.state}">${escapeHtml(text)}</p>`;
}

/**
 * Where Relay would connect: a local or private address is out of its reach; without a public
 * host configured, the registered URIs have no host to name.
 */
function reachabilityNote(report: StatusReport): string {
  if (report.servedFrom === 'local')
    return `<div class="note"><strong>Relay cannot reach this address.</strong> This page was served from a local or private
address, and Relay’s servers connect from the internet: deploy (<code>git push heroku main</code>), or expose this server with a
tunnel and register the tunnel’s <code>wss://</code> URL (set <code>PUBLIC_URL</code> to its <code>https://</code> URL).</div>`;
  if (report.publicHost === null)
    return `<div class="note"><strong>No public host is configured.</strong> Relay connects to the host a registration names:
set <code>PUBLIC_URL</code> to this app’s <code>https://</code> URL, or turn on dyno metadata
(<code>heroku labs:enable runtime-dyno-metadata</code>). If this address is not reachable from the internet, Relay cannot reach
it: deploy, or use a tunnel.</div>`;
  return '';
}

/** WORKFLOW_TOKEN unset: anyone who knows a workflow URL can open a session. */
function openNote(): string {
  return `<div class="note"><strong>Anyone who knows a workflow URL can open a session:</strong> <code>WORKFLOW_TOKEN</code> is not
set. Set one with <code>heroku config:set WORKFLOW_TOKEN=$(openssl rand -hex 32)</code>; the registered URLs must then carry it
(with API credentials, the release that <code>config:set</code> makes registers them again; otherwise run the commands again).
See docs/security.md.</div>`;
}

function tokenNote(): string {
  return `<div class="note"><strong>This server requires a token.</strong> The URLs below show
<code>${escapeHtml(TOKEN_PLACEHOLDER)}</code> where it goes; the token itself is never shown here. Get it with
<code>heroku config:get WORKFLOW_TOKEN</code> and put it in place of the placeholder.</div>`;
}

function describeBus({ kind, state }: StatusReport['bus']): string {
  return kind === 'in-process' ? 'in-process (one dyno)' : `Redis, ${state}`;
}

function busNote(state: string): string {
  return `<div class="note"><strong>Redis is ${escapeHtml(state)}.</strong> Open sessions go on, but webhooks that
reach a conversation answer 503 until it is back; the client reconnects by itself. Check <code>heroku redis:info</code>.</div>`;
}

function fact(term: string, value: string): string {
  return `<div><dt>${escapeHtml(term)}</dt><dd>${escapeHtml(value)}</dd></div>`;
}

function describeTrigger(trigger: SuggestedTrigger): string {
  switch (trigger.type) {
    case 'phrase':
      return `says ${trigger.phrases.map((phrase) => `“${phrase}”`).join(' or ')}`;
    case 'button':
      return `${trigger.taps} tap`;
    case 'http':
      return 'HTTP POST';
    case 'nfc':
      return 'NFC tag';
    case 'event':
      return `${trigger.event} event`;
  }
}

/** `42 s`, `7 min`, `3 h 12 min`, `2 d 5 h`. */
function formatUptime(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text made safe to place in HTML content and in quoted attribute values. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}
