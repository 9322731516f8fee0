import { WorkflowRegistry, workflowNameFromUrl } from '../../src/relay/workflow-registry';

const noop = () => undefined;

describe('workflowNameFromUrl', () => {
  it.each([
    ['/hello', 'hello'],
    ['/hello/', 'hello'],
    ['/hello?token=abc&x=1', 'hello'],
    ['/hello/?x=1', 'hello'],
    ['/hello#frag', 'hello'],
    ['//hello', 'hello'],
    ['/hello%20world', 'hello world'],
    ['/team/panic', 'team/panic'],
    ['/', ''],
  ])('%s → %s', (url, name) => {
    expect(workflowNameFromUrl(url)).toBe(name);
  });

  it('gives undefined for a path that cannot be decoded', () => {
    expect(workflowNameFromUrl('/bad%E0%A4%A')).toBeUndefined();
  });
});

describe('WorkflowRegistry', () => {
  it('matches a request URL to its workflow, ignoring query, trailing slash and encoding', () => {
    const registry = new WorkflowRegistry();
    const hello = () => undefined;
    registry.add('/hello world/', hello);
    expect(registry.match('/hello%20world/?x=1')).toEqual({ name: 'hello world', handler: hello });
    expect(registry.match('/hello')).toBeUndefined();
    expect(registry.match('/')).toBeUndefined();
    expect(registry.names()).toEqual(['hello world']);
  });

  it('refuses an empty name, a duplicate, an encoded name and a non-function, saying what to do', () => {
    const registry = new WorkflowRegistry();
    registry.add('hello', noop);
    expect(() => registry.add('/', noop)).toThrow(
      'a workflow needs a non-empty name (its URL path, such as \'hello\'), got "/"',
    );
    expect(() => registry.add('hello/', noop)).toThrow(
      'workflow "hello" is registered twice: give each workflow its own name',
    );
    expect(() => registry.add('a%20b', noop)).toThrow("may not contain '?', '#' or '%': write it unencoded");
    expect(() => registry.add('x', 'nope' as unknown as typeof noop)).toThrow(
      'workflow "x" needs a function (workflow) => { ... } or a module whose default export is one, got string',
    );
    expect(() => registry.add('y', {} as unknown as typeof noop)).toThrow('got a module without a default export');
  });

  it('takes a whole workflow module with its registration', () => {
    const registry = new WorkflowRegistry();
    const registration = { description: 'd', trigger: { type: 'phrase', phrases: ['hi'] } } as const;
    registry.add('hi', { default: noop, registration });
    registry.add('plain', noop);
    expect(registry.entries()).toEqual([
      { name: 'hi', handler: noop, registration },
      { name: 'plain', handler: noop, registration: undefined },
    ]);
  });
});
