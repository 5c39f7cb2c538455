/** PEP 440 versions and specifiers live with the other version schemes (scan/version/pep440.ts). */
export * from '../../version/pep440.js';
