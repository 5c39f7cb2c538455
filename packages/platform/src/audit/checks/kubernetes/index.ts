/**
 * Every Kubernetes configuration check, listed explicitly (a test checks that each
 * file under checks/kubernetes/ is listed and that its ID matches its file name).
 */
import type { Check } from '../../types.js';
import KCV0093 from './KCV0093.js';
import KSV001 from './KSV001.js';
import KSV002 from './KSV002.js';
import KSV003 from './KSV003.js';
import KSV004 from './KSV004.js';
import KSV005 from './KSV005.js';
import KSV006 from './KSV006.js';
import KSV007 from './KSV007.js';
import KSV008 from './KSV008.js';
import KSV009 from './KSV009.js';
import KSV010 from './KSV010.js';
import KSV011 from './KSV011.js';
import KSV012 from './KSV012.js';
import KSV013 from './KSV013.js';
import KSV014 from './KSV014.js';
import KSV015 from './KSV015.js';
import KSV016 from './KSV016.js';
import KSV017 from './KSV017.js';
import KSV018 from './KSV018.js';
import KSV020 from './KSV020.js';
import KSV021 from './KSV021.js';
import KSV022 from './KSV022.js';
import KSV023 from './KSV023.js';
import KSV024 from './KSV024.js';
import KSV025 from './KSV025.js';
import KSV026 from './KSV026.js';
import KSV027 from './KSV027.js';
import KSV028 from './KSV028.js';
import KSV030 from './KSV030.js';
import KSV032 from './KSV032.js';
import KSV033 from './KSV033.js';
import KSV034 from './KSV034.js';
import KSV035 from './KSV035.js';
import KSV036 from './KSV036.js';
import KSV037 from './KSV037.js';
import KSV038 from './KSV038.js';
import KSV039 from './KSV039.js';
import KSV040 from './KSV040.js';
import KSV041 from './KSV041.js';
import KSV042 from './KSV042.js';
import KSV043 from './KSV043.js';
import KSV044 from './KSV044.js';
import KSV045 from './KSV045.js';
import KSV046 from './KSV046.js';
import KSV047 from './KSV047.js';
import KSV048 from './KSV048.js';
import KSV049 from './KSV049.js';
import KSV050 from './KSV050.js';
import KSV051 from './KSV051.js';
import KSV052 from './KSV052.js';
import KSV053 from './KSV053.js';
import KSV054 from './KSV054.js';
import KSV055 from './KSV055.js';
import KSV056 from './KSV056.js';
import KSV102 from './KSV102.js';
import KSV103 from './KSV103.js';
import KSV104 from './KSV104.js';
import KSV105 from './KSV105.js';
import KSV106 from './KSV106.js';
import KSV107 from './KSV107.js';
import KSV108 from './KSV108.js';
import KSV109 from './KSV109.js';
import KSV110 from './KSV110.js';
import KSV111 from './KSV111.js';
import KSV112 from './KSV112.js';
import KSV113 from './KSV113.js';
import KSV114 from './KSV114.js';
import KSV115 from './KSV115.js';
import KSV116 from './KSV116.js';
import KSV117 from './KSV117.js';
import KSV118 from './KSV118.js';
import KSV119 from './KSV119.js';
import KSV120 from './KSV120.js';
import KSV121 from './KSV121.js';
import KSV122 from './KSV122.js';
import KSV0123 from './KSV0123.js';
import KSV0124 from './KSV0124.js';
import KSV0125 from './KSV0125.js';
import KSV01010 from './KSV01010.js';
import KSV01011 from './KSV01011.js';

export const KUBERNETES_CHECKS: readonly Check[] = [
  KCV0093,
  KSV001,
  KSV002,
  KSV003,
  KSV004,
  KSV005,
  KSV006,
  KSV007,
  KSV008,
  KSV009,
  KSV010,
  KSV011,
  KSV012,
  KSV013,
  KSV014,
  KSV015,
  KSV016,
  KSV017,
  KSV018,
  KSV020,
  KSV021,
  KSV022,
  KSV023,
  KSV024,
  KSV025,
  KSV026,
  KSV027,
  KSV028,
  KSV030,
  KSV032,
  KSV033,
  KSV034,
  KSV035,
  KSV036,
  KSV037,
  KSV038,
  KSV039,
  KSV040,
  KSV041,
  KSV042,
  KSV043,
  KSV044,
  KSV045,
  KSV046,
  KSV047,
  KSV048,
  KSV049,
  KSV050,
  KSV051,
  KSV052,
  KSV053,
  KSV054,
  KSV055,
  KSV056,
  KSV102,
  KSV103,
  KSV104,
  KSV105,
  KSV106,
  KSV107,
  KSV108,
  KSV109,
  KSV110,
  KSV111,
  KSV112,
  KSV113,
  KSV114,
  KSV115,
  KSV116,
  KSV117,
  KSV118,
  KSV119,
  KSV120,
  KSV121,
  KSV122,
  KSV0123,
  KSV0124,
  KSV0125,
  KSV01010,
  KSV01011,
];

export { createPAL001 } from './PAL001.js';
export { createKSV0125 } from './KSV0125.js';
