/**
 * Test utilities of the Logging Environments backend packages.
 *
 * @packageDocumentation
 */
export { startMoto } from './moto';
