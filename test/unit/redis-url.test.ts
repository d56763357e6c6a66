// Redis URLs: the password masked wherever a URL is shown, TLS for rediss://,
// and a bad URL named (masked) with what is allowed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maskRedisUrl, redisOptions, RedisUrlError } from '../../service/distributed/redis-url.ts';

test('the password is masked, the rest of the URL kept', () => {
  assert.equal(maskRedisUrl('redis://:p%40ss@lab:6380/2'), 'redis://:***@lab:6380/2');
  assert.equal(maskRedisUrl('rediss://user:secret@lab'), 'rediss://user:***@lab');
  assert.equal(maskRedisUrl('redis://lab:6379'), 'redis://lab:6379');
  // Not a URL at all: whatever sits where a password would is hidden too.
  assert.ok(!maskRedisUrl('redis://:sec ret@').includes('sec ret'));
});

test('options: host, port, db, credentials decoded; rediss:// turns TLS on', () => {
  const plain = redisOptions('redis://:p%40ss@lab:6380/2');
  assert.deepEqual([plain.host, plain.port, plain.db, plain.password, plain.tls], ['lab', 6380, 2, 'p@ss', undefined]);
  const tls = redisOptions('rediss://user:pw@secure.lab');
  assert.deepEqual([tls.host, tls.port, tls.username, tls.tls], ['secure.lab', 6379, 'user', { servername: 'secure.lab' }]);
  // BullMQ's workers need blocking commands without a retry limit.
  assert.equal(plain.maxRetriesPerRequest, null);
});

test('a bad URL names the masked URL and what is allowed', () => {
  assert.throws(() => redisOptions('http://:secret@lab'), (e: unknown) => e instanceof RedisUrlError && /redis:\/\/ or rediss:\/\//.test(e.message) && !e.message.includes('secret'));
  assert.throws(() => redisOptions('lab:6379'), RedisUrlError);
  assert.throws(() => redisOptions('redis://lab/x'), /database after the host must be an integer/);
});
