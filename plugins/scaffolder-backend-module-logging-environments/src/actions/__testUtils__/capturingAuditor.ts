import { mockServices } from '@backstage/backend-test-utils';
import { JsonObject } from '@backstage/types';

/** One finished audit event, as an audit log would keep it. */
export interface CapturedEvent {
  eventId: string;
  severityLevel?: string;
  meta: JsonObject;
  outcome: 'success' | 'fail';
  error?: { name: string; message: string; stack?: string };
}

/**
 * An auditor that keeps every finished event, with the meta of its creation
 * and of its outcome merged and the error's name, message and stack (what
 * a log line of it could show), so a test can search all of it for a
 * secret.
 */
export function capturingAuditor() {
  const events: CapturedEvent[] = [];
  const auditor = mockServices.auditor.mock({
    createEvent: async options => ({
      success: async o => {
        events.push({
          eventId: options.eventId,
          severityLevel: options.severityLevel,
          meta: { ...options.meta, ...o?.meta },
          outcome: 'success',
        });
      },
      fail: async o => {
        events.push({
          eventId: options.eventId,
          severityLevel: options.severityLevel,
          meta: { ...options.meta, ...o.meta },
          outcome: 'fail',
          error: {
            name: o.error.name,
            message: o.error.message,
            stack: o.error.stack,
          },
        });
      },
    }),
  });
  return { auditor, events };
}
