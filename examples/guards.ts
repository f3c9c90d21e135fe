// examples/guards.ts — locks and permits as `using` guards (released at the end of the block), with a timeout and an AbortSignal.
import { Region, Mutex, Semaphore, TimeoutError } from "sabre";

const region = Region.create();
const mutex = Mutex.create(region);
const semaphore = Semaphore.create(region, { max: 2 }); // two permits
const counter = new Int32Array(region.memory.buffer, region.alloc(4), 1);
{
  using _ = mutex.lock({ timeout: 1000 }); // TimeoutError after 1 s
  counter[0] += 1;
} // unlocked here
{
  using permit = await semaphore.holdAsync(2, { signal: AbortSignal.timeout(500) }); // AbortError after 0.5 s
  try {
    semaphore.acquire({ timeout: 10 }); // no permit left
  } catch (error) {
    console.log(error instanceof TimeoutError, permit.permits); // true 2
  }
} // both permits released here
console.log(counter[0], semaphore.count, mutex.locked); // 1 2 false
