import { FaultInjector } from '../faults';
import { ObjectStore } from '../kube/types';
import { SandboxProfile } from '../profile';

/** Where the simulated operators reach the sandbox's AWS (moto, behind the fault proxy). */
export interface AwsEndpoint {
  /** URL of the AWS endpoint (the fault proxy in front of moto), plain HTTP. */
  url: string;
  /**
   * The same endpoint over HTTPS (same port), when the sandbox serves it:
   * S3 calls over it count as `aws:SecureTransport` for bucket policies.
   */
  httpsUrl?: string;
  /** The HTTPS endpoint's certificate (its own CA), base64-encoded PEM. */
  caData?: string;
  region: string;
  /** Credentials of the sandbox's own admin identity (not a Loki key). */
  adminAccessKeyId: string;
  adminSecretAccessKey: string;
}

/** What every simulated operator gets. */
export interface ControllerContext {
  store: ObjectStore;
  profile: SandboxProfile;
  aws: AwsEndpoint;
  faults: FaultInjector;
  /** Writes one line to the sandbox log (never secret values). */
  log: (message: string) => void;
}

/** A running controller; `stop` ends its watches and timers. */
export interface Controller {
  name: string;
  stop(): void;
}
