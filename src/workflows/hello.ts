import { createWorkflow, Event, type Registration } from '../index';

/** Registered on the phrase "hello"; `greeting` is the word said before the name. */
export const registration: Registration = {
  description: 'Asks the wearer for their name and greets them.',
  trigger: { type: 'phrase', phrases: ['hello'] },
  args: { greeting: 'Hello' },
};

/**
 * Asks the wearer's name and greets them. The greeting comes from the registration arg
 * `greeting` (default "Hello"). The script matches the SDK's hello sample frame for frame, so a
 * benchmark can compare both runtimes on it.
 */
export default createWorkflow((workflow) => {
  workflow.on(Event.START, async ({ trigger }) => {
    await workflow.startInteraction([trigger.args.source_uri], 'hello');
  });

  workflow.on(Event.INTERACTION_STARTED, async ({ source_uri: interaction }) => {
    await workflow.sayAndWait(interaction, 'What is your name?');
    const { text } = await workflow.listen(interaction);
    const greeting = await workflow.getVar('greeting', 'Hello');
    await workflow.sayAndWait(interaction, `${greeting} ${text}!`);
    await workflow.terminate();
  });
});
