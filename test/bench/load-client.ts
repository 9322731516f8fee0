import { fork, type ChildProcess } from 'node:child_process';
import type {
  BootReply,
  BusLatencyReply,
  Envelope,
  HoldReply,
  LoadCommand,
  LoadReply,
  ReleaseReply,
  RunReply,
  TransportReply,
} from './load-protocol';

type ReplyOf<C extends LoadCommand['cmd']> = C extends 'run'
  ? RunReply
  : C extends 'hold'
    ? HoldReply
    : C extends 'release'
      ? ReleaseReply
      : C extends 'boot'
        ? BootReply
        : C extends 'bus-latency'
          ? BusLatencyReply
          : TransportReply;

/** The parent's handle on the load process: send a command, get its reply. */
export class LoadClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (reply: LoadReply) => void; reject: (error: Error) => void }>();
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: Envelope<LoadReply>) => {
      const waiting = this.pending.get(message.id);
      if (waiting === undefined) return;
      this.pending.delete(message.id);
      if (message.error !== undefined || message.body === undefined)
        waiting.reject(new Error(`load process: ${message.error ?? 'no reply'}`));
      else waiting.resolve(message.body);
    });
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        for (const waiting of this.pending.values())
          waiting.reject(new Error(`the load process exited (code ${code})`));
        this.pending.clear();
        resolve();
      }),
    );
  }

  /** Forks the compiled load-driver.js. */
  static start(driver: string): LoadClient {
    return new LoadClient(fork(driver, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  }

  send<C extends LoadCommand>(command: C): Promise<ReplyOf<C['cmd']>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (reply: LoadReply) => void, reject });
      this.child.send({ id, body: command } satisfies Envelope<LoadCommand>);
    });
  }

  async stop(): Promise<void> {
    if (this.child.connected) this.child.disconnect();
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 2_000);
    await this.exited;
    clearTimeout(killer);
  }
}
