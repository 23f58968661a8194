import type { CallTracker } from './tracker.ts';

type AmiEvent = Readonly<Record<string, string | undefined>>;

/** What reconciling needs from the AMI client (AmiClient provides it). */
export interface AmiActionPort {
  action(fields: Record<string, string>, timeoutMs?: number): Promise<AmiEvent>;
  on(event: 'event', listener: (e: AmiEvent) => void): unknown;
  off(event: 'event', listener: (e: AmiEvent) => void): unknown;
}

/**
 * The Uniqueids and Linkedids of the channels still up, from `CoreShowChannels` (class `call`). Its list items
 * can arrive in the same read as the response, so they are collected from before the request.
 */
export async function liveChannelIds(ami: AmiActionPort, timeoutMs = 5000): Promise<Set<string>> {
  const items: AmiEvent[] = [];
  let complete: (() => void) | null = null;
  const completed = new Set<string>();
  const listener = (e: AmiEvent): void => {
    if (e.event === 'CoreShowChannel') items.push(e);
    if (e.event === 'CoreShowChannelsComplete' && e.actionid) {
      completed.add(e.actionid);
      complete?.();
    }
  };
  ami.on('event', listener);
  try {
    const response = await ami.action({ Action: 'CoreShowChannels' }, timeoutMs);
    const id = response.actionid ?? '';
    if (!completed.has(id)) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`CoreShowChannels did not complete within ${timeoutMs} ms`)), timeoutMs);
        complete = () => {
          if (!completed.has(id)) return;
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return new Set(items.filter((e) => e.actionid === id).flatMap((e) => [e.uniqueid ?? '', e.linkedid ?? '']).filter((l) => l !== ''));
  } finally {
    ami.off('event', listener);
  }
}

/**
 * Squares the tracker with the PBX's channel list, after every AMI (re)connect and then every so
 * often: followed calls whose channels are all gone ended unseen (the connection was down) and
 * are closed with what is known (their route requests, the events seen before). Open calls
 * placed over `unseenAfterMs` ago that nothing follows and that have no channel are closed too,
 * as unseen; the margin keeps a call whose Originate is still on its way from being judged.
 */
export async function reconcileWithPbx(ami: AmiActionPort, tracker: CallTracker, unseenAfterMs: number): Promise<void> {
  // Calls whose events arrive after the channel list was asked for are not judged by that list.
  const snapshot = tracker.snapshot();
  const live = await liveChannelIds(ami);
  tracker.reconcile(live, snapshot.eventsSeen);
  await tracker.closeUnfollowed(live, snapshot.at - unseenAfterMs);
  await tracker.flush();
}
