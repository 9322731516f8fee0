'use strict';
/**
 * The bare-SDK side of `npm run bench`: the hello workflow of src/workflows/hello.ts written
 * against @relaypro/sdk 2.4.0's own `relay()` server, in the shape of the SDK README's sample,
 * with the same frames and the same `getVar('greeting', 'Hello')`. 2.4.0 reads PORT (and
 * HEARTBEAT) when it loads. Its console output (every frame, by design of 2.4.0) is left as it is:
 * that is what such a server writes on Heroku, and what the benchmark measures.
 */
const { relay, Event, createWorkflow } = require('@relaypro/sdk');

const hello = createWorkflow((workflow) => {
  workflow.on(Event.START, async (event) => {
    const {
      trigger: {
        args: { source_uri },
      },
    } = event;
    await workflow.startInteraction([source_uri], 'hello');
  });

  workflow.on(Event.INTERACTION_STARTED, async ({ source_uri: interaction }) => {
    await workflow.sayAndWait(interaction, 'What is your name?');
    const { text } = await workflow.listen(interaction);
    const greeting = await workflow.getVar('greeting', 'Hello');
    await workflow.sayAndWait(interaction, `${greeting} ${text}!`);
    await workflow.terminate();
  });
});

relay().workflow('hello', hello);
