/**
 * The loop's records in the telemetry's own seconds. The loop counts in ticks (TickClock), so its
 * events and incident records carry tick times; what a service shows (`/v1/incidents`,
 * `/v1/events`) is in seconds, converted here for ServeEngine and the NATS gateway alike.
 */
import type { IncidentRecord } from '../knowledge/records.ts';
import type { LoopEvent } from '../loop/events.ts';
import type { TickClock } from '../monitor/ticks.ts';

/** A loop event with its times (the event's, and those of the record it carries) in the telemetry's seconds. */
export function eventInSeconds(event: LoopEvent, time: TickClock): LoopEvent {
  const ts = time.seconds(event.ts);
  if ('incident' in event) return { ...event, ts, incident: incidentInSeconds(event.incident, time) };
  if ('action' in event) {
    const { startedAt, finishedAt } = event.action;
    const action = { ...event.action, startedAt: time.seconds(startedAt) };
    if (finishedAt !== undefined) action.finishedAt = time.seconds(finishedAt);
    return { ...event, ts, action };
  }
  return { ...event, ts };
}

/** A copy of an incident record with its opening and closing times in the telemetry's seconds. */
export function incidentInSeconds(record: IncidentRecord, time: TickClock): IncidentRecord {
  const copy = structuredClone(record);
  copy.openedAt = time.seconds(record.openedAt);
  if (record.closedAt !== undefined) copy.closedAt = time.seconds(record.closedAt);
  return copy;
}
