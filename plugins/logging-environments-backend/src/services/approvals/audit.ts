import {
  AuditorServiceCreateEventOptions,
  AuditorServiceEvent,
  AuditorServiceEventSeverityLevel,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { assertError } from '@backstage/errors';

/**
 * Starts an audit event on behalf of the service; the caller adds what the
 * service does not know, such as the HTTP request (the router passes
 * `o => auditor.createEvent({ ...o, request: req })`).
 *
 * @public
 */
export type AuditStarter = (options: {
  eventId: string;
  severityLevel: AuditorServiceEventSeverityLevel;
  meta?: AuditorServiceCreateEventOptions['meta'];
}) => Promise<AuditorServiceEvent>;

/**
 * Writes the audit event of a decision, recorded or refused (`error`).
 * Never throws: a decision that was taken stays taken when the auditor
 * fails, and the failure is logged.
 */
export async function auditDecision(
  audit: AuditStarter,
  logger: LoggerService,
  meta: Record<string, string>,
  error?: Error,
): Promise<void> {
  // The event is created once the outcome is known, so that a repeated
  // decision (a double click) leaves no audit trace at all.
  try {
    const event = await audit({
      eventId: 'environment-approval',
      severityLevel: 'medium',
      meta: { ...meta },
    });
    if (error) {
      await event.fail({ error });
    } else {
      await event.success();
    }
  } catch (auditError) {
    assertError(auditError);
    logger.error(
      `Could not write the audit event of a decision on ${meta.environment}: ${auditError.message}`,
      { environment: meta.environment, decision: meta.decision },
    );
  }
}
