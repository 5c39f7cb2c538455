/**
 * Every analyzer, listed explicitly. A test (index.test.ts) asserts that each
 * file under analyzers/os and analyzers/lang is listed here and that every
 * analyzer's name equals its path.
 *
 * Keep one line per analyzer, sorted within its section.
 */
import type { Analyzer } from './types.js';

// --- os ---
import { analyzer as osAlpineRelease } from './os/alpine-release.js';
import { analyzer as osAmazonRelease } from './os/amazon-release.js';
import { analyzer as osApk } from './os/apk.js';
import { analyzer as osDebianVersion } from './os/debian-version.js';
import { analyzer as osDpkg } from './os/dpkg.js';
import { analyzer as osOsRelease } from './os/os-release.js';
import { analyzer as osRedhatRelease } from './os/redhat-release.js';
import { analyzer as osRpm } from './os/rpm.js';
import { analyzer as osUbuntuLsb } from './os/ubuntu-lsb.js';
// --- lang ---
import { analyzer as langBundler } from './lang/bundler.js';
import { analyzer as langCargoLock } from './lang/cargo-lock.js';
import { analyzer as langComposerLock } from './lang/composer-lock.js';
import { analyzer as langComposerVendor } from './lang/composer-vendor.js';
import { analyzer as langDotnetDeps } from './lang/dotnet-deps.js';
import { analyzer as langGemspec } from './lang/gemspec.js';
import { analyzer as langGobinary } from './lang/gobinary.js';
import { analyzer as langGomod } from './lang/gomod.js';
import { analyzer as langGradleLock } from './lang/gradle-lock.js';
import { analyzer as langGradleVerificationMetadata } from './lang/gradle-verification-metadata.js';
import { analyzer as langJar } from './lang/jar.js';
import { analyzer as langNodePkg } from './lang/node-pkg.js';
import { analyzer as langNpmLock } from './lang/npm-lock.js';
import { analyzer as langNugetConfig } from './lang/nuget-config.js';
import { analyzer as langNugetLock } from './lang/nuget-lock.js';
import { analyzer as langPackagesProps } from './lang/packages-props.js';
import { analyzer as langPdmLock } from './lang/pdm-lock.js';
import { analyzer as langPipRequirements } from './lang/pip-requirements.js';
import { analyzer as langPipenvLock } from './lang/pipenv-lock.js';
import { analyzer as langPnpmLock } from './lang/pnpm-lock.js';
import { analyzer as langPoetryLock } from './lang/poetry-lock.js';
import { analyzer as langPom } from './lang/pom.js';
import { analyzer as langPythonPkg } from './lang/python-pkg.js';
import { analyzer as langRustbinary } from './lang/rustbinary.js';
import { analyzer as langUvLock } from './lang/uv-lock.js';
import { analyzer as langYarnLock } from './lang/yarn-lock.js';

export const analyzers: readonly Analyzer[] = [
  // os
  osAlpineRelease,
  osAmazonRelease,
  osApk,
  osDebianVersion,
  osDpkg,
  osOsRelease,
  osRedhatRelease,
  osRpm,
  osUbuntuLsb,
  // lang
  langBundler,
  langCargoLock,
  langComposerLock,
  langComposerVendor,
  langDotnetDeps,
  langGemspec,
  langGobinary,
  langGomod,
  langGradleLock,
  langGradleVerificationMetadata,
  langJar,
  langNodePkg,
  langNpmLock,
  langNugetConfig,
  langNugetLock,
  langPackagesProps,
  langPdmLock,
  langPipRequirements,
  langPipenvLock,
  langPnpmLock,
  langPoetryLock,
  langPom,
  langPythonPkg,
  langRustbinary,
  langUvLock,
  langYarnLock,
];
