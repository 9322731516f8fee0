import { Event, type Workflow } from '../../src';

/**
 * Compile-time checks of the public types (`npm test` type-checks tests, so a wrong type fails
 * it). Never called: only the type checker reads it.
 */
function typeChecks(workflow: Workflow, uri: string): void {
  workflow.on(Event.TIMER_FIRED, ({ name }) => name.toUpperCase());
  workflow.on(Event.CALL_PROGRESSING, ({ call_id, connect_time_epoch }) => [call_id, connect_time_epoch]);
  workflow.on(Event.PROGRESS, (payload) => Object.keys(payload));
  workflow.on(Event.NOTIFICATION, ({ notification_state }) => notification_state.acknowledged.length);
  workflow.on(Event.INTERACTION_ENDED, ({ source_uri }) => workflow.terminate().then(() => source_uri));
  workflow.on('sms', ({ id, event }) => `${id}:${event}`);
  workflow.on('some_future_event', (payload) => payload.anything);
  // @ts-expect-error timer_fired carries a name, not text
  workflow.on(Event.TIMER_FIRED, ({ text }) => text);
  void workflow.listen(uri, ['yes', 'no']);
  void workflow.listen(uri, [], { transcribe: false }).then(({ audio }) => audio.length);
  void workflow.listen(uri).then(({ text }) => text.length);
  void workflow.startInteraction(uri, 'no options');
  void workflow.endInteraction(uri);
  void workflow.get(['a', 'b']);
  void workflow.switchLedOn(uri, 16, 'ff0000');
  // @ts-expect-error there are 16 LEDs
  void workflow.switchLedOn(uri, 17, 'ff0000');
}

describe('public types', () => {
  it('type-check (see typeChecks; tsc runs as part of npm test)', () => {
    expect(typeChecks).toBeInstanceOf(Function);
  });
});
