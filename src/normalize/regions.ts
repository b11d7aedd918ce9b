// Country and subdivision names → ISO codes. Written by hand for the countries Meridian's
// customers are in (ISO 3166-1 alpha-2; ISO 3166-2 subdivision codes without the country prefix).

/** Country spellings → ISO 3166-1 alpha-2. Keys are lower-case with dots removed. */
const COUNTRY_NAMES: Readonly<Record<string, string>> = {
  us: 'US', usa: 'US', 'united states': 'US', 'united states of america': 'US', america: 'US',
  ca: 'CA', can: 'CA', canada: 'CA',
  gb: 'GB', gbr: 'GB', uk: 'GB', 'united kingdom': 'GB', 'great britain': 'GB', britain: 'GB',
  england: 'GB', scotland: 'GB', wales: 'GB', 'northern ireland': 'GB',
  de: 'DE', deu: 'DE', germany: 'DE', deutschland: 'DE',
  fr: 'FR', fra: 'FR', france: 'FR',
  nl: 'NL', nld: 'NL', netherlands: 'NL', 'the netherlands': 'NL', holland: 'NL',
  ie: 'IE', irl: 'IE', ireland: 'IE',
  au: 'AU', aus: 'AU', australia: 'AU',
  mx: 'MX', mex: 'MX', mexico: 'MX',
  at: 'AT', aut: 'AT', austria: 'AT', österreich: 'AT',
  ch: 'CH', che: 'CH', switzerland: 'CH', schweiz: 'CH',
  es: 'ES', esp: 'ES', spain: 'ES',
  it: 'IT', ita: 'IT', italy: 'IT',
};

/** ISO 3166-1 alpha-2 for a country as written ("USA", "United Kingdom", "U.S."); `null` when unknown. */
export function countryCode(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const k = raw.trim().toLowerCase().replace(/\./g, '').replace(/\s+/g, ' ');
  if (k === '') return null;
  return COUNTRY_NAMES[k] ?? (/^[a-z]{2}$/.test(k) ? k.toUpperCase() : null);
}

const US_STATES: Readonly<Record<string, string>> = {
  alabama: 'AL', alaska: 'AK', arizona: 'AZ', arkansas: 'AR', california: 'CA', colorado: 'CO', connecticut: 'CT',
  delaware: 'DE', 'district of columbia': 'DC', florida: 'FL', georgia: 'GA', hawaii: 'HI', idaho: 'ID', illinois: 'IL',
  indiana: 'IN', iowa: 'IA', kansas: 'KS', kentucky: 'KY', louisiana: 'LA', maine: 'ME', maryland: 'MD',
  massachusetts: 'MA', michigan: 'MI', minnesota: 'MN', mississippi: 'MS', missouri: 'MO', montana: 'MT',
  nebraska: 'NE', nevada: 'NV', 'new hampshire': 'NH', 'new jersey': 'NJ', 'new mexico': 'NM', 'new york': 'NY',
  'north carolina': 'NC', 'north dakota': 'ND', ohio: 'OH', oklahoma: 'OK', oregon: 'OR', pennsylvania: 'PA',
  'rhode island': 'RI', 'south carolina': 'SC', 'south dakota': 'SD', tennessee: 'TN', texas: 'TX', utah: 'UT',
  vermont: 'VT', virginia: 'VA', washington: 'WA', 'west virginia': 'WV', wisconsin: 'WI', wyoming: 'WY',
  'puerto rico': 'PR',
};

const CA_PROVINCES: Readonly<Record<string, string>> = {
  alberta: 'AB', 'british columbia': 'BC', manitoba: 'MB', 'new brunswick': 'NB', 'newfoundland and labrador': 'NL',
  newfoundland: 'NL', 'nova scotia': 'NS', ontario: 'ON', 'prince edward island': 'PE', quebec: 'QC', québec: 'QC',
  saskatchewan: 'SK', 'northwest territories': 'NT', nunavut: 'NU', yukon: 'YT',
};

const GB_NATIONS: Readonly<Record<string, string>> = {
  england: 'ENG', scotland: 'SCT', wales: 'WLS', cymru: 'WLS', 'northern ireland': 'NIR',
  eng: 'ENG', sct: 'SCT', wls: 'WLS', nir: 'NIR',
};

const DE_STATES: Readonly<Record<string, string>> = {
  'baden-württemberg': 'BW', 'baden-wurttemberg': 'BW', bayern: 'BY', bavaria: 'BY', berlin: 'BE', brandenburg: 'BB',
  bremen: 'HB', hamburg: 'HH', hessen: 'HE', hesse: 'HE', 'mecklenburg-vorpommern': 'MV', niedersachsen: 'NI',
  'lower saxony': 'NI', 'nordrhein-westfalen': 'NW', 'north rhine-westphalia': 'NW', 'rheinland-pfalz': 'RP',
  'rhineland-palatinate': 'RP', saarland: 'SL', sachsen: 'SN', saxony: 'SN', 'sachsen-anhalt': 'ST',
  'saxony-anhalt': 'ST', 'schleswig-holstein': 'SH', thüringen: 'TH', thuringia: 'TH',
};

const SUBDIVISIONS: Readonly<Record<string, Readonly<Record<string, string>>>> = { US: US_STATES, CA: CA_PROVINCES, GB: GB_NATIONS, DE: DE_STATES };

/**
 * Big German cities → Land, for addresses that leave the region out (German addresses
 * usually do). Only cities whose name is unambiguous.
 */
const DE_CITY_STATES: Readonly<Record<string, string>> = {
  berlin: 'BE', hamburg: 'HH', bremen: 'HB', münchen: 'BY', munich: 'BY', nürnberg: 'BY', augsburg: 'BY',
  köln: 'NW', cologne: 'NW', düsseldorf: 'NW', dortmund: 'NW', essen: 'NW', duisburg: 'NW', bonn: 'NW', münster: 'NW',
  'frankfurt am main': 'HE', frankfurt: 'HE', wiesbaden: 'HE', stuttgart: 'BW', karlsruhe: 'BW', mannheim: 'BW',
  leipzig: 'SN', dresden: 'SN', hannover: 'NI', hanover: 'NI', potsdam: 'BB', mainz: 'RP', kiel: 'SH', erfurt: 'TH',
  magdeburg: 'ST', saarbrücken: 'SL', schwerin: 'MV', rostock: 'MV',
};

/** UK postcode areas outside England (the letters before the first digit). */
const GB_AREA_NATION: Readonly<Record<string, string>> = {
  AB: 'SCT', DD: 'SCT', DG: 'SCT', EH: 'SCT', FK: 'SCT', G: 'SCT', HS: 'SCT', IV: 'SCT', KA: 'SCT', KW: 'SCT', KY: 'SCT',
  ML: 'SCT', PA: 'SCT', PH: 'SCT', TD: 'SCT', ZE: 'SCT',
  CF: 'WLS', LD: 'WLS', LL: 'WLS', NP: 'WLS', SA: 'WLS',
  BT: 'NIR',
};

/**
 * ISO 3166-2 subdivision code (without the country prefix) for a region as written:
 * "California" → "CA", "Ontario" → "ON", "England" → "ENG", "Bayern" → "BY". For GB and DE,
 * where addresses often omit the region, it is taken from the postcode area (GB) or the city (DE).
 * Other countries: the region as written, upper-cased if it is a code.
 */
export function regionCode(raw: unknown, country: string | null, hints: { city?: string | null; postalCode?: string | null } = {}): string | null {
  const text = typeof raw === 'string' ? raw.trim().replace(/\s+/g, ' ') : '';
  const table = country === null ? undefined : SUBDIVISIONS[country];
  if (text !== '') {
    const k = text.toLowerCase().replace(/\.$/, '');
    if (table !== undefined) {
      const byName = table[k];
      if (byName !== undefined) return byName;
      const code = k.toUpperCase().replace(/^[A-Z]{2}-/, '');
      if (Object.values(table).includes(code)) return code;
    }
    return /^[a-z]{2,3}$/i.test(text) ? text.toUpperCase() : text;
  }
  if (country === 'DE' && typeof hints.city === 'string') return DE_CITY_STATES[hints.city.trim().toLowerCase()] ?? null;
  if (country === 'GB' && typeof hints.postalCode === 'string') {
    const area = /^([A-Z]{1,2})\d/.exec(hints.postalCode.trim().toUpperCase())?.[1];
    return area === undefined ? null : GB_AREA_NATION[area] ?? 'ENG';
  }
  return null;
}

/**
 * Whether `code` (as regionCode answers it) is a subdivision of `country`: true or false for the
 * countries whose subdivisions Meridian knows (US, CA, GB, DE), null for the others.
 */
export function isKnownRegion(country: string, code: string | null): boolean | null {
  const table = SUBDIVISIONS[country];
  if (table === undefined) return null;
  return code !== null && Object.values(table).includes(code);
}

/** The usual currency of a country (ISO 4217), for a customer nothing bills yet. */
const COUNTRY_CURRENCY: Readonly<Record<string, string>> = {
  US: 'USD', CA: 'CAD', GB: 'GBP', DE: 'EUR', FR: 'EUR', NL: 'EUR', IE: 'EUR', AT: 'EUR', ES: 'EUR', IT: 'EUR',
  AU: 'AUD', MX: 'MXN', CH: 'CHF',
};

export function currencyOfCountry(raw: unknown): string | null {
  const c = countryCode(raw);
  return c === null ? null : COUNTRY_CURRENCY[c] ?? null;
}
