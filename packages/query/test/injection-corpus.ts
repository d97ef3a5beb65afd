/** Strings an attacker would try; each must come back as one quoted literal holding exactly itself. */
export const injectionCorpus = [
  "'; DROP TABLE events; --",
  "' OR '1'='1",
  "'' OR 1=1 --",
  "\\'; DROP TABLE events; --",
  '/* comment */ SELECT 1',
  "-- '",
  "x' UNION SELECT * FROM system.runtime.queries --",
  "U&'\\0027'",
  "'\u0000'",
  '\u02bc OR 1=1 --',
  '\uff07; DROP TABLE events; --',
  '$$; DROP TABLE events; $$',
  '"; DROP TABLE "events',
  "a'\nb'\r\n--",
  "😀'😀",
  '?',
]
