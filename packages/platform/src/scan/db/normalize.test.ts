import { describe, expect, it } from 'vitest';
import { ecosystemBase, normalizePackageName, packageNameNormalizer } from './normalize.js';

describe('package-name keys', () => {
  it.each([
    ['PyPI', 'Django', 'django'],
    ['PyPI', 'zope.interface', 'zope-interface'],
    ['PyPI', 'Foo__Bar-.baz', 'foo-bar-baz'],
    ['PyPI', ' requests ', 'requests'],
    ['crates.io', 'Serde_JSON', 'serde-json'],
    ['NuGet', 'Newtonsoft.Json', 'newtonsoft.json'],
    ['Packagist', 'Symfony/HTTP-Kernel', 'symfony/http-kernel'],
    ['GitHub Actions', 'Actions/Checkout', 'actions/checkout'],
    ['npm', '@Babel/core', '@Babel/core'],
    ['npm', 'JSONStream', 'JSONStream'],
    ['Go', 'github.com/BurntSushi/toml', 'github.com/BurntSushi/toml'],
    ['Maven', 'org.apache.logging.log4j:log4j-core', 'org.apache.logging.log4j:log4j-core'],
    ['RubyGems', 'RedCloth', 'RedCloth'],
    ['Debian:12', 'libxml2', 'libxml2'],
    ['AlmaLinux:9', 'python3.11_lib', 'python3.11_lib'],
  ])('%s %s → %s', (eco, name, key) => {
    expect(normalizePackageName(eco, name)).toBe(key);
    expect(packageNameNormalizer(eco)(name)).toBe(key);
  });

  it('takes the rule from the ecosystem without its release or repository suffix', () => {
    expect(ecosystemBase('AlmaLinux:9')).toBe('AlmaLinux');
    expect(ecosystemBase('Ubuntu:22.04:LTS')).toBe('Ubuntu');
    expect(ecosystemBase('Maven:https://maven.google.com')).toBe('Maven');
    expect(ecosystemBase('Go')).toBe('Go');
    expect(normalizePackageName('PyPI:https://pypi.example', 'Django')).toBe('django');
  });
});
