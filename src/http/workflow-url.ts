/** What a URL shows in place of the secret token: the person fills it in from `heroku config:get WORKFLOW_TOKEN`. */
export const TOKEN_PLACEHOLDER = '<WORKFLOW_TOKEN>';

/**
 * The URL to register a workflow at. When the server requires a token, the URL carries a
 * placeholder for it, never the token itself (this text goes to pages and logs).
 *
 * @example
 * workflowUrl('wss://demo.herokuapp.com', 'hello', true) // 'wss://demo.herokuapp.com/hello?token=<WORKFLOW_TOKEN>'
 */
export function workflowUrl(baseUrl: string, name: string, tokenRequired: boolean): string {
  const path = name.split('/').map(encodeURIComponent).join('/');
  return `${baseUrl}/${path}${tokenRequired ? `?token=${TOKEN_PLACEHOLDER}` : ''}`;
}
