import { describe, expect, it } from "vitest";
import {
  type EventSourceLike,
  followThread,
  type LiveMode,
  mergeMessages,
  STREAM_ERRORS_MAX,
} from "../../web/src/lib/thread-live.ts";

/** An EventSource stand-in the test drives: open, frames, errors, with the real readyStates. */
class FakeSource implements EventSourceLike {
  readyState = 0;
  closed = false;
  onopen: EventSourceLike["onopen"] = null;
  onerror: EventSourceLike["onerror"] = null;
  #listeners: ((ev: { data: string }) => void)[] = [];
  addEventListener(_type: "message", listener: (ev: { data: string }) => void) {
    this.#listeners.push(listener);
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
  open() {
    this.readyState = 1;
    this.onopen?.call(this, new Event("open"));
  }
  frame(data: string) {
    for (const l of this.#listeners) l({ data });
  }
  fail(readyState: 0 | 2) {
    this.readyState = readyState;
    this.onerror?.call(this, new Event("error"));
  }
}

function follow() {
  const modes: LiveMode[] = [];
  const messages: { id: string }[] = [];
  let opens = 0;
  let source: FakeSource | null = null;
  const stop = followThread<{ id: string }>(
    "/api/market/threads/thr_x/events",
    {
      onMessage: (m) => messages.push(m),
      onOpen: () => {
        opens += 1;
      },
      onMode: (m) => modes.push(m),
    },
    () => {
      source = new FakeSource();
      return source;
    },
  );
  return { modes, messages, opens: () => opens, source: () => source as FakeSource, stop };
}

describe("the thread view's live updates", () => {
  it("merges a page and streamed messages once each, oldest first", () => {
    const page = [{ id: "msg_02" }, { id: "msg_01" }];
    const live = [{ id: "msg_03" }, { id: "msg_02" }];
    expect(mergeMessages(page, live).map((m) => m.id)).toEqual(["msg_01", "msg_02", "msg_03"]);
  });

  it("goes live on open, asks for a reload, and hands over parsed messages", () => {
    const f = follow();
    f.source().open();
    f.source().frame('{"id":"msg_01","body":"hi"}');
    f.source().frame("not json");
    expect(f.modes).toEqual(["connecting", "live"]);
    expect(f.opens()).toBe(1);
    expect(f.messages).toEqual([{ id: "msg_01", body: "hi" }]);
  });

  it("falls back to polling at once when the hub refuses the stream", () => {
    const f = follow();
    f.source().fail(2);
    expect(f.source().closed).toBe(true);
    expect(f.modes.at(-1)).toBe("polling");
  });

  it("lets the browser reconnect a dropped stream, but gives up after repeated errors", () => {
    const f = follow();
    f.source().open();
    for (let i = 1; i < STREAM_ERRORS_MAX; i++) f.source().fail(0);
    expect(f.modes.at(-1)).toBe("live");
    f.source().open(); // reconnected: the count starts again
    for (let i = 1; i < STREAM_ERRORS_MAX; i++) f.source().fail(0);
    expect(f.source().closed).toBe(false);
    f.source().fail(0);
    expect(f.source().closed).toBe(true);
    expect(f.modes.at(-1)).toBe("polling");
  });

  it("closes the stream when the view stops following", () => {
    const f = follow();
    f.stop();
    expect(f.source().closed).toBe(true);
    expect(f.modes).toEqual(["connecting"]);
  });

  it("polls when the browser has no EventSource", () => {
    const modes: LiveMode[] = [];
    followThread("/x", { onMessage: () => {}, onOpen: () => {}, onMode: (m) => modes.push(m) });
    expect(modes).toEqual(["polling"]);
  });
});
