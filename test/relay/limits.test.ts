import { ByteBudget, RateLimit } from '../../src/relay/limits';

/** An account owner that notes whether it was asked to shed. */
function owner(): { shed: () => void; shedCount: number } {
  const it = { shedCount: 0, shed: () => void (it.shedCount += 1) };
  return it;
}

describe('ByteBudget', () => {
  it('sums every session’s arriving and queued bytes, and gives them back', () => {
    const budget = new ByteBudget(1_000);
    const a = budget.open(owner());
    const b = budget.open(owner());
    a.arrived(300);
    b.queue(200);
    expect(budget.bufferedBytes).toBe(500);
    b.dequeue(200);
    a.release();
    expect(budget.bufferedBytes).toBe(0);
  });

  it('names nobody while within MAX_BUFFERED_BYTES, and the session holding the most once over', () => {
    const budget = new ByteBudget(1_000);
    const small = owner();
    const large = owner();
    budget.open(small).arrived(400);
    const largeBytes = budget.open(large);
    largeBytes.queue(600);
    expect(budget.overdrawn()).toBeUndefined();
    largeBytes.arrived(1);
    expect(budget.overdrawn()).toBe(large);
    expect(budget.fits(0)).toBe(false);
  });

  it('forgets a closed session’s account and its bytes', () => {
    const budget = new ByteBudget(100);
    const gone = budget.open(owner());
    gone.arrived(500);
    gone.close();
    expect(budget.bufferedBytes).toBe(0);
    expect(budget.overdrawn()).toBeUndefined();
  });

  it('counts a whole message as no longer arriving, with its frame header', () => {
    const budget = new ByteBudget(Number.POSITIVE_INFINITY);
    const account = budget.open(owner());
    account.arrived(2 + 4 + 100 + 50);
    account.consumed(100);
    expect(account.bufferedBytes).toBe(50);
  });
});

describe('RateLimit', () => {
  it('lets a burst of `capacity` pass, then refuses until time refills it', () => {
    jest.useFakeTimers({ now: 0 });
    try {
      const rate = new RateLimit(3, 1);
      expect([rate.spend(), rate.spend(), rate.spend(), rate.spend()]).toEqual([true, true, true, false]);
      jest.setSystemTime(1_000);
      expect(rate.spend()).toBe(true);
      expect(rate.spend()).toBe(false);
    } finally {
      jest.useRealTimers();
    }
  });
});
