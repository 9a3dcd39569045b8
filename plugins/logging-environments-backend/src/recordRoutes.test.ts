import { mockCredentials } from '@backstage/backend-test-utils';
import { NotAllowedError } from '@backstage/errors';
import request from 'supertest';
import { VIEWER, claimBody, setup } from './__testUtils__/routerSetup';

describe('the record routes', () => {
  it('writes records only for a signed-in user, with what the policy grants them, audited', async () => {
    const { app, records, auditEvents } = await setup();
    const service = await request(app)
      .post('/records')
      .set('authorization', mockCredentials.service.header())
      .send(claimBody);
    expect(service.status).toBe(403);
    expect(records.claim).not.toHaveBeenCalled();

    const created = await request(app)
      .post('/records')
      .set(
        'authorization',
        mockCredentials.user.header('user:default/approver'),
      )
      .send(claimBody);
    expect(created.status).toBe(201);
    // This test policy grants the approver everything but reading only.
    expect(records.claim).toHaveBeenCalledWith(
      claimBody,
      expect.objectContaining({
        userEntityRef: 'user:default/approver',
        mayCreate: true,
        mayAdminister: true,
      }),
      { dryRun: false },
    );
    const rerun = await request(app)
      .post('/records?dryRun=true')
      .set(
        'authorization',
        mockCredentials.user.header(VIEWER.principal.userEntityRef),
      )
      .send({ ...claimBody, name: 'existing' });
    expect(rerun.status).toBe(200);
    expect(records.claim).toHaveBeenLastCalledWith(
      expect.objectContaining({ name: 'existing' }),
      expect.objectContaining({ mayCreate: false, mayAdminister: false }),
      { dryRun: true },
    );
    // The service's attempt is audited as refused, both claims as done.
    expect(
      auditEvents
        .filter(e => e.eventId === 'environment-claim')
        .map(e => [e.outcome, e.meta]),
    ).toEqual([
      [
        'fail',
        { environment: 'acme-prod', tier: 'production', cluster: 'sandbox' },
      ],
      [
        'success',
        { environment: 'acme-prod', tier: 'production', cluster: 'sandbox' },
      ],
      [
        'success',
        {
          environment: 'existing',
          tier: 'production',
          cluster: 'sandbox',
          dryRun: 'true',
        },
      ],
    ]);

    const unknownField = await request(app)
      .post('/records')
      .set(
        'authorization',
        mockCredentials.user.header('user:default/approver'),
      )
      .send({ ...claimBody, tierOverride: 'development' });
    expect(unknownField.status).toBe(400);
  });

  it('audits a refused record change with the reason', async () => {
    const { app, records, auditEvents } = await setup();
    records.administer.mockRejectedValueOnce(
      new NotAllowedError('only an administrator may change a record'),
    );
    const res = await request(app)
      .patch('/records/default/acme-prod')
      .set(
        'authorization',
        mockCredentials.user.header(VIEWER.principal.userEntityRef),
      )
      .send({ tier: 'development', reason: 'cheaper' });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe(
      'only an administrator may change a record',
    );
    expect(
      auditEvents
        .filter(e => e.eventId === 'environment-record-change')
        .map(e => [e.outcome, e.meta]),
    ).toEqual([
      [
        'fail',
        { environment: 'resource:default/acme-prod', tier: 'development' },
      ],
    ]);
  });
});
