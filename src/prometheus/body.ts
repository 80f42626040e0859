// Reads a backend answer with a bound on its size, and on the bytes of all
// answers being read at once: a huge or endless answer costs bounded memory.

import { StringDecoder } from "node:string_decoder";
import { BackendError } from "./errors.ts";

/** Bytes held by answers being read, shared by all queries of one gateway. */
export class ByteBudget {
  private used = 0;
  constructor(readonly limit: number) {}

  /** Takes n bytes; false (taking nothing) when that would pass the limit. */
  take(n: number): boolean {
    if (this.used + n > this.limit) return false;
    this.used += n;
    return true;
  }

  release(n: number): void {
    this.used = Math.max(0, this.used - n);
  }

  get inUse(): number {
    return this.used;
  }
}

export const DEFAULT_MAX_IN_FLIGHT_BYTES = 256 * 1024 * 1024;

/**
 * The body as text, read chunk by chunk; past `limit` bytes (or the shared
 * budget) it aborts the exchange through `stop` and throws a bad_response.
 */
export async function readLimited(response: Response, limit: number, budget: ByteBudget | null, stop: AbortController): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (declared > limit) {
    stop.abort();
    throw tooLarge(limit, `it declares ${declared} bytes`);
  }
  if (!response.body) return "";
  // Decoded chunk by chunk: no array of chunks and joined copy next to the text.
  const decoder = new StringDecoder("utf8");
  let text = "";
  /** Bytes kept so far, all of them taken from the budget. */
  let size = 0;
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (size + value.byteLength > limit) throw tooLarge(limit, "reading stopped there");
      if (budget && !budget.take(value.byteLength)) {
        throw new BackendError(
          "bad_response",
          `backend answers being read at once passed ${budget.limit} bytes (--max-backend-in-flight); this one was refused`,
        );
      }
      size += value.byteLength;
      text += decoder.write(value);
    }
  } catch (e) {
    stop.abort();
    await reader.cancel().catch(() => {});
    throw e;
  } finally {
    budget?.release(size);
  }
  return text + decoder.end();
}

function tooLarge(limit: number, detail: string): BackendError {
  return new BackendError("bad_response", `backend answer is larger than ${limit} bytes (--max-backend-response); ${detail}`);
}
