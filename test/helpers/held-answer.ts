/**
 * An `answers` callback for `simulate()` that holds the person's answer: `listening` resolves when
 * the workflow listens, and the answer goes out when the test calls `speak` (never, if it does not).
 */
export function heldAnswer(): {
  answers: () => Promise<string>;
  listening: Promise<void>;
  speak: (answer: string) => void;
} {
  let heard: () => void = () => undefined;
  const listening = new Promise<void>((resolve) => (heard = resolve));
  let speak: (answer: string) => void = () => undefined;
  const answers = () => {
    heard();
    return new Promise<string>((resolve) => (speak = resolve));
  };
  return { answers, listening, speak: (answer) => speak(answer) };
}
