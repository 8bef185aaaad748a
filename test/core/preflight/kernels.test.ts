import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kernelReleaseOf, newestKernel, parseKernelPackages } from '../../../src/core/preflight/kernels.js';

test('kernelReleaseOf: image packages have a release, meta packages do not', () => {
  assert.equal(kernelReleaseOf('linux-image-6.8.0-88-generic'), '6.8.0-88-generic');
  assert.equal(kernelReleaseOf('linux-image-6.1.0-41-amd64'), '6.1.0-41-amd64');
  assert.equal(kernelReleaseOf('linux-image-unsigned-6.8.0-88-generic'), '6.8.0-88-generic');
  assert.equal(kernelReleaseOf('linux-image-generic'), null);
  assert.equal(kernelReleaseOf('linux-image-amd64'), null);
  assert.equal(kernelReleaseOf('linux-modules-6.8.0-88-generic'), null);
});

test('parseKernelPackages keeps installed kernel images only', () => {
  const text = [
    'linux-image-6.8.0-87-generic\tii ',
    'linux-image-6.8.0-88-generic\tiU ',
    'linux-image-6.8.0-79-generic\trc ',
    'linux-image-generic\tii ',
    'garbage',
    '',
  ].join('\n');
  assert.deepEqual(parseKernelPackages(text), ['6.8.0-87-generic', '6.8.0-88-generic']);
});

test('newestKernel orders releases as dpkg does', () => {
  assert.equal(newestKernel(['6.8.0-87-generic', '6.8.0-88-generic', '6.8.0-9-generic']), '6.8.0-88-generic');
  assert.equal(newestKernel(['6.1.0-9-amd64', '6.1.0-41-amd64']), '6.1.0-41-amd64');
  assert.equal(newestKernel(['6.10.0-1-amd64', '6.9.12-1-amd64']), '6.10.0-1-amd64');
  assert.equal(newestKernel([]), null);
});
