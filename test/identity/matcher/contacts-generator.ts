// A seeded generator of company-contacts CSV files: people at companies (first name, last name,
// company, e-mail, phone, street, city, state, zip), several contacts per company, with planted
// duplicates and a truth file of the duplicate pairs. What makes such a file hard is built in on
// purpose and at realistic rates, not tuned to any matcher:
// - colleagues share the company, its address, its e-mail domain and sometimes its main phone line
//   (with or without an extension); some share a surname (family firms), some a first name;
// - the same person's name appears at other companies (a common name, or one copied on purpose);
// - a duplicate of a contact may go by a nickname (Robert/Bob), carry a typo in a name, write the
//   company's legal form differently (Inc / Inc. / Incorporated / none), abbreviate the street
//   (Street/St, Suite/Ste), give the ZIP+4, change the e-mail's case, give a personal address
//   (gmail…) or none, and write the phone in one of seven formats, or give none.
// Same seed, same file. Ids are shuffled, so they say nothing about the truth.

/** Deterministic PRNG (mulberry32), kept here so the data does not depend on the matcher's code. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Formal given names with the short forms people go by. */
const NICKNAMES: Readonly<Record<string, readonly string[]>> = {
  Robert: ['Bob', 'Rob', 'Bobby'], William: ['Bill', 'Will', 'Billy'], Elizabeth: ['Liz', 'Beth', 'Betsy'], Margaret: ['Maggie', 'Peggy', 'Meg'],
  James: ['Jim', 'Jimmy'], Richard: ['Rick', 'Rich', 'Dick'], Thomas: ['Tom', 'Tommy'], Michael: ['Mike', 'Mikey'], Catherine: ['Kate', 'Cathy'],
  Jennifer: ['Jen', 'Jenny'], Christopher: ['Chris'], Daniel: ['Dan', 'Danny'], Joseph: ['Joe', 'Joey'], Anthony: ['Tony'], Edward: ['Ed', 'Ted'],
  Patricia: ['Pat', 'Patty', 'Trish'], Susan: ['Sue', 'Susie'], David: ['Dave'], Stephen: ['Steve'], Charles: ['Charlie', 'Chuck'],
  Andrew: ['Andy', 'Drew'], Matthew: ['Matt'], Benjamin: ['Ben'], Alexander: ['Alex'], Nicholas: ['Nick'], Samuel: ['Sam'], Rebecca: ['Becky'],
  Deborah: ['Debbie', 'Deb'], Timothy: ['Tim'], Gregory: ['Greg'], Kenneth: ['Ken'], Barbara: ['Barb'],
};

const OTHER_FIRST_NAMES = [
  'Mary', 'Linda', 'Sarah', 'Karen', 'Nancy', 'Lisa', 'Sandra', 'Ashley', 'Emily', 'Donna', 'Michelle', 'Laura', 'Amanda', 'Melissa', 'Stephanie',
  'Rachel', 'Carolyn', 'Janet', 'Maria', 'Heather', 'Diane', 'Julie', 'Joyce', 'Victoria', 'Kelly', 'Christina', 'Lauren', 'Olivia', 'Sophia',
  'Mark', 'Paul', 'Kevin', 'Brian', 'George', 'Jason', 'Ryan', 'Gary', 'Eric', 'Jacob', 'Larry', 'Frank', 'Scott', 'Brandon', 'Raymond', 'Jerry',
  'Dennis', 'Tyler', 'Aaron', 'Henry', 'Adam', 'Nathan', 'Peter', 'Zachary', 'Kyle', 'Noah', 'Ethan', 'Jeremy', 'Christian', 'Keith', 'Roger',
  'Priya', 'Wei', 'Carlos', 'Fatima', 'Olga', 'Lars', 'Aisha', 'Kenji', 'Mateo', 'Ingrid', 'Rahul', 'Mei', 'Diego', 'Yuki', 'Amara', 'Sven',
  'Chloe', 'Hannah', 'Grace', 'Zoe', 'Leah', 'Nora', 'Ivy', 'Owen', 'Caleb', 'Miles', 'Felix', 'Hugo', 'Elena', 'Lucia', 'Ana', 'Omar',
];

const FIRST_NAMES = [...Object.keys(NICKNAMES), ...OTHER_FIRST_NAMES];

/** Common names first: they are drawn more often (Zipf-like), as in real files. */
const LAST_NAMES = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Hernandez', 'Lopez', 'Gonzalez', 'Wilson',
  'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin', 'Lee', 'Perez', 'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez',
  'Lewis', 'Robinson', 'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Torres', 'Nguyen', 'Hill', 'Flores', 'Green', 'Adams', 'Nelson',
  'Baker', 'Hall', 'Rivera', 'Campbell', 'Mitchell', 'Carter', 'Roberts', 'Gomez', 'Phillips', 'Evans', 'Turner', 'Diaz', 'Parker', 'Cruz',
  'Edwards', 'Collins', 'Reyes', 'Stewart', 'Morris', 'Morales', 'Murphy', 'Cook', 'Rogers', 'Gutierrez', 'Ortiz', 'Morgan', 'Cooper', 'Peterson',
  'Bailey', 'Reed', 'Kelly', 'Howard', 'Ramos', 'Kim', 'Cox', 'Ward', 'Richardson', 'Watson', 'Brooks', 'Chavez', 'Wood', 'James', 'Bennett',
  'Gray', 'Mendoza', 'Ruiz', 'Hughes', 'Price', 'Alvarez', 'Castillo', 'Sanders', 'Patel', 'Myers', 'Long', 'Ross', 'Foster', 'Jimenez',
  'Okafor', 'Lindqvist', 'Castellano', 'Nakamura', 'Petrov', 'Kowalski', 'Haddad', "O'Neill", 'Fitzgerald', 'Delgado', 'Whitfield', 'Brennan',
  'Achterberg', 'Vasquez', 'Sorensen', 'Takahashi', 'Mbeki', 'Oyelaran', 'Schultz', 'Novak', 'Romano', 'Dubois', 'Keller', 'Andersson',
  'Chaudhry', 'Gallagher', 'Hoffmann', 'Ivanova', 'Jovanovic', 'Karlsson', 'Lombardi', 'Moreau', 'Nilsen', 'Ortega', 'Pham', 'Quinn', 'Sato',
];

const SURNAME_HEADS = ['Ash', 'Black', 'Brad', 'Brook', 'Cald', 'Craw', 'Dun', 'Ells', 'Fair', 'Gold', 'Hal', 'Hart', 'Kings', 'Lang', 'Mar', 'Mor', 'Nor', 'Pem', 'Red', 'Ros', 'Stan', 'Thorn', 'Wal', 'Wes', 'Whit', 'Win'];
const SURNAME_TAILS = ['by', 'combe', 'den', 'ford', 'ham', 'ley', 'more', 'ridge', 'ton', 'well', 'wick', 'worth', 'field', 'stead', 'ington', 'er'];

const COMPANY_WORDS = [
  'Acme', 'Blue Ridge', 'Summit', 'Pioneer', 'Cedar', 'Harbor', 'Northwind', 'Granite', 'Silver Lake', 'Redwood', 'Atlas', 'Beacon', 'Crescent',
  'Evergreen', 'Falcon', 'Horizon', 'Keystone', 'Liberty', 'Orion', 'Pinnacle', 'Quantum', 'Riverside', 'Sterling', 'Titan', 'Vanguard',
  'Westfield', 'Apex', 'Bright Path', 'Copper Hill', 'Driftwood', 'Eastgate', 'Foxglove', 'Golden Gate', 'Highland', 'Ironwood', 'Juniper',
  'Kestrel', 'Lakeshore', 'Maple Leaf', 'Nova', 'Oakmont', 'Prairie', 'Red Rock', 'Sequoia', 'Tidewater', 'Union', 'Valley', 'Willow Creek',
];
const COMPANY_NOUNS = [
  'Logistics', 'Analytics', 'Dental', 'Foods', 'Health', 'Labs', 'Media', 'Partners', 'Software', 'Supply', 'Systems', 'Capital', 'Construction',
  'Design', 'Energy', 'Freight', 'Insurance', 'Manufacturing', 'Robotics', 'Textiles', 'Consulting', 'Realty', 'Brewing', 'Pharma', 'Marine',
];
/** A company's legal form and how else people write it. */
const SUFFIXES: Readonly<Record<string, readonly string[]>> = {
  Inc: ['Inc.', 'Incorporated', ', Inc.', ''],
  LLC: ['L.L.C.', 'llc', ''],
  Corp: ['Corp.', 'Corporation', ''],
  Co: ['Co.', 'Company', ''],
  Ltd: ['Ltd.', 'Limited', ''],
  '': ['Inc', 'LLC'],
};

const STREET_NAMES = [
  'Main', 'Oak', 'Maple', 'Market', 'Washington', 'Lake', 'Park', 'Pine', 'Cedar', 'Elm', 'Hill', 'Sunset', 'Lincoln', 'Jackson', 'River', 'Highland',
  'Mission', 'Broadway', 'Commerce', 'Industrial', 'Harbor', 'Spring', 'Valley', 'Madison', 'Franklin', 'Jefferson', 'Church', 'Mill', 'Center',
];
/** Street types: the full word and its abbreviation. */
const STREET_TYPES: readonly (readonly [string, string])[] = [
  ['Street', 'St'], ['Avenue', 'Ave'], ['Boulevard', 'Blvd'], ['Road', 'Rd'], ['Drive', 'Dr'], ['Lane', 'Ln'], ['Parkway', 'Pkwy'], ['Court', 'Ct'],
  ['Place', 'Pl'],
];

/** City, state, area code, first three ZIP digits. */
const CITIES: readonly (readonly [string, string, string, string])[] = [
  ['San Francisco', 'CA', '415', '941'], ['Oakland', 'CA', '510', '946'], ['Los Angeles', 'CA', '213', '900'], ['San Diego', 'CA', '619', '921'],
  ['Seattle', 'WA', '206', '981'], ['Portland', 'OR', '503', '972'], ['Denver', 'CO', '303', '802'], ['Austin', 'TX', '512', '787'],
  ['Dallas', 'TX', '214', '752'], ['Houston', 'TX', '713', '770'], ['Chicago', 'IL', '312', '606'], ['Minneapolis', 'MN', '612', '554'],
  ['Boston', 'MA', '617', '021'], ['New York', 'NY', '212', '100'], ['Brooklyn', 'NY', '718', '112'], ['Philadelphia', 'PA', '215', '191'],
  ['Atlanta', 'GA', '404', '303'], ['Miami', 'FL', '305', '331'], ['Phoenix', 'AZ', '602', '850'], ['Nashville', 'TN', '615', '372'],
  ['Columbus', 'OH', '614', '432'], ['Raleigh', 'NC', '919', '276'], ['Salt Lake City', 'UT', '801', '841'], ['Newark', 'NJ', '973', '071'],
];

const FREE_MAIL = ['gmail.com', 'yahoo.com', 'outlook.com', 'hotmail.com', 'icloud.com', 'aol.com'];
const TLDS = ['com', 'com', 'com', 'net', 'io', 'co'];

export interface ContactsOptions {
  seed: number;
  /** Companies in the file; each has 1–12 contacts (a few up to 30). */
  companies: number;
  /** Share of contacts that get duplicates. Default 0.25. */
  duplicateRate?: number;
}

export interface ContactsFile {
  /** The CSV: `id,First Name,Last Name,Company,Email,Phone,Street,City,State,Zip`. */
  csv: string;
  /** The true duplicate pairs: `id_a,id_b`, every pair of records of one person. */
  truthCsv: string;
  records: number;
  people: number;
  truePairs: number;
}

interface Company {
  name: string;
  suffix: string;
  domain: string;
  street: { number: number; name: string; type: number; suite: number | null };
  city: number;
  zip: string;
  plus4: string;
  mainLine: string;
  emailPattern: number;
}

interface Contact {
  first: string;
  last: string;
  company: number;
  email: string | null;
  /** Ten digits. */
  phone: string | null;
  extension: string | null;
}

interface Row {
  person: number;
  cells: string[];
}

export function generateContacts(options: ContactsOptions): ContactsFile {
  const r = rng(options.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const chance = (p: number): boolean => r() < p;
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  /** Zipf-like: index i drawn with weight 1/(i+1)^0.5. */
  const zipfWeights = LAST_NAMES.map((_, i) => 1 / (i + 1) ** 0.5);
  const zipfTotal = zipfWeights.reduce((a, b) => a + b, 0);
  const lastName = (): string => {
    // A long tail of rarer surnames, as in a real population (the list alone makes Smith one in 20).
    if (chance(0.35)) return `${pick(SURNAME_HEADS)}${pick(SURNAME_TAILS)}`;
    let x = r() * zipfTotal;
    for (let i = 0; i < LAST_NAMES.length; i++) {
      x -= zipfWeights[i]!;
      if (x <= 0) return LAST_NAMES[i]!;
    }
    return LAST_NAMES[LAST_NAMES.length - 1]!;
  };
  const digits = (n: number): string => Array.from({ length: n }, () => String(int(0, 9))).join('');
  const phoneIn = (city: number): string => `${CITIES[city]![2]}${int(2, 9)}${digits(2)}${digits(4)}`;

  // Companies: unique names, a domain each, an address and a main line.
  const companies: Company[] = [];
  const names = new Set<string>();
  const domains = new Set<string>();
  while (companies.length < options.companies) {
    const word = pick(COMPANY_WORDS);
    const noun = pick(COMPANY_NOUNS);
    const base = `${word} ${noun}`;
    if (names.has(base)) continue;
    names.add(base);
    const suffix = pick(['Inc', 'Inc', 'LLC', 'LLC', 'Corp', 'Co', 'Ltd', '']);
    const compact = word.toLowerCase().replace(/[^a-z]/g, '');
    let domain = `${chance(0.5) ? compact + noun.toLowerCase() : chance(0.5) ? `${compact}-${noun.toLowerCase()}` : compact}.${pick(TLDS)}`;
    while (domains.has(domain)) domain = `${compact}${int(2, 99)}.${pick(TLDS)}`;
    domains.add(domain);
    const city = int(0, CITIES.length - 1);
    companies.push({
      name: base,
      suffix,
      domain,
      street: { number: int(1, 9999), name: pick(STREET_NAMES), type: int(0, STREET_TYPES.length - 1), suite: chance(0.4) ? int(1, 40) * 10 : null },
      city,
      zip: `${CITIES[city]![3]}${digits(2)}`,
      plus4: digits(4),
      mainLine: phoneIn(city),
      emailPattern: int(0, 3),
    });
  }

  // Contacts: 1–12 per company, a few large ones.
  const contacts: Contact[] = [];
  const usedEmails = new Set<string>();
  const workEmail = (c: Company, first: string, last: string): string => {
    const f = first.toLowerCase().replace(/[^a-z]/g, '');
    const l = last.toLowerCase().replace(/[^a-z]/g, '');
    const local = [`${f}.${l}`, `${f[0]}${l}`, `${f}${l[0]}`, f][c.emailPattern]!;
    let email = `${local}@${c.domain}`;
    for (let k = 2; usedEmails.has(email); k++) email = `${local}${k}@${c.domain}`;
    usedEmails.add(email);
    return email;
  };
  const personalEmail = (first: string, last: string): string => {
    const f = first.toLowerCase().replace(/[^a-z]/g, '');
    const l = last.toLowerCase().replace(/[^a-z]/g, '');
    let email = `${pick([`${f}${l}`, `${f}.${l}`, `${f[0]}${l}`, `${f}_${l}`])}${chance(0.5) ? int(1, 99) : ''}@${pick(FREE_MAIL)}`;
    while (usedEmails.has(email)) email = email.replace('@', `${int(0, 9)}@`);
    usedEmails.add(email);
    return email;
  };
  companies.forEach((c, ci) => {
    const size = chance(0.05) ? int(13, 30) : int(1, 12);
    const staff: Contact[] = [];
    for (let k = 0; k < size; k++) {
      let first = pick(FIRST_NAMES);
      let last = lastName();
      // A family firm: a colleague's surname. Elsewhere: a name someone at another company has.
      if (staff.length > 0 && chance(0.08)) {
        const relative = pick(staff);
        last = relative.last;
        while (first === relative.first || NICKNAMES[first]?.includes(relative.first) || NICKNAMES[relative.first]?.includes(first)) first = pick(FIRST_NAMES);
      } else if (contacts.length > 0 && chance(0.03)) {
        const namesake = pick(contacts);
        first = namesake.first;
        last = namesake.last;
      }
      const mail = r();
      const email = mail < 0.82 ? workEmail(c, first, last) : mail < 0.95 ? personalEmail(first, last) : null;
      const tel = r();
      // A direct line, the company's main line (sometimes with an extension), or none.
      const phone = tel < 0.6 ? phoneIn(c.city) : tel < 0.9 ? c.mainLine : null;
      const extension = phone === c.mainLine && chance(0.5) ? String(int(100, 599)) : null;
      const contact: Contact = { first, last, company: ci, email, phone, extension };
      staff.push(contact);
      contacts.push(contact);
    }
  });

  // Writing a record, as written by whoever entered it.
  const PHONE_FORMATS: readonly ((d: string) => string)[] = [
    (d) => `(${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6)}`,
    (d) => `${d.slice(0, 3)}-${d.slice(3, 6)}-${d.slice(6)}`,
    (d) => `${d.slice(0, 3)}.${d.slice(3, 6)}.${d.slice(6)}`,
    (d) => d,
    (d) => `+1 ${d.slice(0, 3)} ${d.slice(3, 6)} ${d.slice(6)}`,
    (d) => `+1-${d.slice(0, 3)}-${d.slice(3, 6)}-${d.slice(6)}`,
    (d) => `1 (${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6)}`,
  ];
  const typo = (s: string): string => {
    if (s.length < 4) return s;
    const i = int(1, s.length - 2);
    const kind = int(0, 2);
    if (kind === 0) return s.slice(0, i) + s.slice(i + 1);
    if (kind === 1) return s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2);
    return s.slice(0, i) + pick([...'aeiourstnl']) + s.slice(i + 1);
  };
  const companyName = (c: Company, variant: boolean): string => {
    const suffix = variant ? pick(SUFFIXES[c.suffix]!) : c.suffix;
    if (suffix === '') return c.name;
    return suffix.startsWith(',') ? `${c.name}${suffix}` : `${c.name} ${suffix}`;
  };
  const street = (c: Company, abbreviated: boolean): string => {
    const [full, short] = STREET_TYPES[c.street.type]!;
    const suite = c.street.suite === null ? '' : abbreviated ? ` Ste ${c.street.suite}` : ` Suite ${c.street.suite}`;
    return `${c.street.number} ${c.street.name} ${abbreviated ? short : full}${suite}`;
  };
  const write = (k: Contact, dup: boolean, base: { abbreviated: boolean; plus4: boolean; format: number }): string[] => {
    const c = companies[k.company]!;
    let first = k.first;
    let last = k.last;
    let email = k.email;
    let phone = k.phone;
    let abbreviated = base.abbreviated;
    let plus4 = base.plus4;
    let format = base.format;
    let company = companyName(c, false);
    let city = CITIES[c.city]![0];
    if (dup) {
      const nicks = NICKNAMES[first];
      if (nicks !== undefined && chance(0.35)) first = pick(nicks);
      else if (chance(0.1)) first = typo(first);
      if (chance(0.1)) last = typo(last);
      if (chance(0.05)) first = first.toUpperCase();
      if (chance(0.05)) last = last.toUpperCase();
      if (chance(0.45)) company = companyName(c, true);
      if (chance(0.04)) company = typo(company);
      const m = r();
      if (email !== null && m < 0.2) email = chance(0.5) ? email.toUpperCase() : email.replace(/^./, (x) => x.toUpperCase()).replace(/@(.)/, (_, x: string) => `@${x.toUpperCase()}`);
      else if (m < 0.35) email = personalEmail(k.first, k.last);
      else if (m < 0.42) email = null;
      const p = r();
      if (p < 0.1) phone = null;
      else if (p < 0.2) phone = phoneIn(c.city);
      if (chance(0.6)) format = int(0, PHONE_FORMATS.length - 1);
      if (chance(0.4)) abbreviated = !abbreviated;
      if (chance(0.3)) plus4 = !plus4;
      if (chance(0.03)) city = typo(city);
    }
    const ext = phone !== null && phone === c.mainLine && k.extension !== null ? pick([` x${k.extension}`, ` ext. ${k.extension}`, ` ext ${k.extension}`]) : '';
    return [
      first,
      last,
      company,
      email ?? '',
      phone === null ? '' : PHONE_FORMATS[format]!(phone) + ext,
      street(c, abbreviated),
      city,
      CITIES[c.city]![1],
      plus4 ? `${c.zip}-${c.plus4}` : c.zip,
    ];
  };

  const rows: Row[] = [];
  const rate = options.duplicateRate ?? 0.25;
  contacts.forEach((k, person) => {
    const base = { abbreviated: chance(0.3), plus4: chance(0.2), format: int(0, PHONE_FORMATS.length - 1) };
    rows.push({ person, cells: write(k, false, base) });
    if (chance(rate)) {
      const copies = chance(0.2) ? 2 : 1;
      for (let d = 0; d < copies; d++) rows.push({ person, cells: write(k, true, base) });
    }
  });

  // Shuffled order, ids in file order.
  for (let i = rows.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [rows[i], rows[j]] = [rows[j]!, rows[i]!];
  }
  const field = (v: string): string => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const ids = rows.map((_, i) => `C${String(10001 + i)}`);
  const lines = ['id,First Name,Last Name,Company,Email,Phone,Street,City,State,Zip', ...rows.map((row, i) => [ids[i]!, ...row.cells].map(field).join(','))];
  const byPerson = new Map<number, string[]>();
  rows.forEach((row, i) => byPerson.set(row.person, [...(byPerson.get(row.person) ?? []), ids[i]!]));
  const truth = ['id_a,id_b'];
  for (const group of byPerson.values()) for (let a = 0; a < group.length; a++) for (let b = a + 1; b < group.length; b++) truth.push(`${group[a]},${group[b]}`);
  return { csv: lines.join('\n') + '\n', truthCsv: truth.join('\n') + '\n', records: rows.length, people: contacts.length, truePairs: truth.length - 1 };
}
