import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ANALYSIS_NOT_CONFIGURED, routeControlRequest, type ControlHandlers } from '../../../src/control/routes.js';
import { sampleHolds, TestHoldRegistry } from '../../helpers/test-hold-registry.js';

function handlers(over: Partial<ControlHandlers> = {}): ControlHandlers & { forgotten: string[] } {
  const forgotten: string[] = [];
  return {
    holds: new TestHoldRegistry(sampleHolds()),
    forgetVerdict: (sha256) => {
      forgotten.push(sha256);
      return sha256.startsWith('a');
    },
    status: () => ({ pid: 1 }),
    forgotten,
    ...over,
  };
}

describe('control routes', () => {
  it('GET /holds lists the registry as { holds: [...] }', () => {
    const result = routeControlRequest('GET', '/holds', handlers());
    assert.equal(result.status, 200);
    assert.deepEqual((result.body as { holds: { id: string }[] }).holds.map((hold) => hold.id), ['h1', 'h2']);
  });

  it('release and block act on the named hold once; an unknown id is 404', () => {
    const h = handlers();
    const registry = h.holds as TestHoldRegistry;
    assert.deepEqual(routeControlRequest('POST', '/holds/h1/release', h), { status: 200, body: { id: 'h1', released: true } });
    assert.deepEqual(routeControlRequest('POST', '/holds/h1/release', h), { status: 404, body: { error: 'no hold with id h1' } });
    assert.deepEqual(routeControlRequest('POST', '/holds/h2/block', h), { status: 200, body: { id: 'h2', blocked: true } });
    assert.deepEqual(registry.released, ['h1']);
    assert.deepEqual(registry.blocked, ['h2']);
  });

  it('ids are percent-decoded; malformed encoding is 400 and reaches no handler', () => {
    const registry = new TestHoldRegistry([{ ...sampleHolds()[0], id: 'a b/c' }]);
    assert.equal(routeControlRequest('POST', '/holds/a%20b%2Fc/release', handlers({ holds: registry })).status, 200);
    assert.deepEqual(registry.released, ['a b/c']);
    assert.equal(routeControlRequest('POST', '/holds/%E0%A4%A/release', handlers({ holds: registry })).status, 400);
  });

  it('without a hold registry the hold routes answer 503 and the others still work', () => {
    const h = handlers({ holds: undefined });
    for (const [method, path] of [['GET', '/holds'], ['POST', '/holds/h1/release'], ['POST', '/holds/h1/block']]) {
      assert.deepEqual(routeControlRequest(method, path, h), { status: 503, body: { error: ANALYSIS_NOT_CONFIGURED } });
    }
    assert.deepEqual(routeControlRequest('GET', '/status', h), { status: 200, body: { pid: 1 } });
  });

  it('DELETE /verdicts/SHA forgets through the handler; anything but lowercase hex SHA-256 is 400', () => {
    const h = handlers();
    assert.deepEqual(routeControlRequest('DELETE', `/verdicts/${'a'.repeat(64)}`, h), { status: 200, body: { sha256: 'a'.repeat(64), forgotten: true } });
    assert.deepEqual(routeControlRequest('DELETE', `/verdicts/${'b'.repeat(64)}`, h), { status: 200, body: { sha256: 'b'.repeat(64), forgotten: false } });
    assert.equal(routeControlRequest('DELETE', `/verdicts/${'A'.repeat(64)}`, h).status, 400);
    assert.equal(routeControlRequest('DELETE', '/verdicts/abc', h).status, 400);
    assert.deepEqual(h.forgotten, ['a'.repeat(64), 'b'.repeat(64)]);
  });

  it('unknown paths are 404, a known path with the wrong method is 405 with Allow', () => {
    assert.equal(routeControlRequest('GET', '/nothing', handlers()).status, 404);
    assert.equal(routeControlRequest('GET', '/holds/h1', handlers()).status, 404);
    const wrong = routeControlRequest('DELETE', '/holds', handlers());
    assert.equal(wrong.status, 405);
    assert.equal(wrong.allow, 'GET');
    assert.equal(routeControlRequest('GET', '/holds/h1/release', handlers()).allow, 'POST');
  });

  it('a query string is ignored; a handler that throws is a 500 with its message', () => {
    assert.equal(routeControlRequest('GET', '/status?verbose=1', handlers()).status, 200);
    const failing = routeControlRequest('GET', '/status', handlers({ status: () => { throw new Error('disk gone'); } }));
    assert.deepEqual(failing, { status: 500, body: { error: 'GET /status failed: disk gone' } });
  });
});
