/**
 * The signal channel on which the backend announces that an environment
 * changed (checklist run, approval, sync run, wave status). Browsers
 * subscribed to it re-read the environment; the message carries no data
 * beyond the reference and what changed, so it never needs authorization.
 *
 * @public
 */
export const LOGGING_ENVIRONMENTS_SIGNAL_CHANNEL = 'logging-environments';

/**
 * What changed in an environment.
 *
 * @public
 */
export type LoggingEnvironmentChange =
  | 'checklist'
  | 'approval'
  | 'sync'
  | 'waves'
  | 'record';

/**
 * The message sent on {@link LOGGING_ENVIRONMENTS_SIGNAL_CHANNEL}.
 *
 * @public
 */
export interface LoggingEnvironmentSignal {
  /** The environment entity ref, e.g. `resource:default/acme-prod`. */
  environmentRef: string;
  change: LoggingEnvironmentChange;
}
