// Word lists for the demo world, written by hand (no downloaded data). Small on purpose:
// variety comes from combining them, and the lists stay readable.

/**
 * First-name families: the canonical (formal) name first, then the short forms people use in
 * one system or another. A matcher has to treat the whole family as one name.
 */
export const FIRST_NAME_FAMILIES: readonly (readonly string[])[] = [
  ['Jonathan', 'John', 'Jon'],
  ['Robert', 'Bob', 'Rob', 'Bobby'],
  ['William', 'Bill', 'Will', 'Billy'],
  ['Elizabeth', 'Liz', 'Beth', 'Betsy'],
  ['Katherine', 'Kate', 'Katie', 'Kathy'],
  ['Michael', 'Mike', 'Mikey'],
  ['Richard', 'Rick', 'Dick', 'Rich'],
  ['James', 'Jim', 'Jimmy', 'Jamie'],
  ['Thomas', 'Tom', 'Tommy'],
  ['Christopher', 'Chris', 'Topher'],
  ['Daniel', 'Dan', 'Danny'],
  ['Matthew', 'Matt'],
  ['Anthony', 'Tony'],
  ['Joseph', 'Joe', 'Joey'],
  ['Benjamin', 'Ben', 'Benji'],
  ['Alexander', 'Alex', 'Xander'],
  ['Nicholas', 'Nick', 'Nicky'],
  ['Edward', 'Ed', 'Ted', 'Eddie'],
  ['Samuel', 'Sam', 'Sammy'],
  ['Andrew', 'Andy', 'Drew'],
  ['Steven', 'Steve'],
  ['Timothy', 'Tim'],
  ['Patricia', 'Pat', 'Patty', 'Trish'],
  ['Jennifer', 'Jen', 'Jenny'],
  ['Margaret', 'Maggie', 'Peggy', 'Meg'],
  ['Susan', 'Sue', 'Suzy'],
  ['Rebecca', 'Becky', 'Becca'],
  ['Victoria', 'Vicky', 'Tori'],
  ['Alexandra', 'Alex', 'Sasha', 'Lexi'],
  ['Christina', 'Chris', 'Tina'],
  ['Deborah', 'Deb', 'Debbie'],
  ['Jessica', 'Jess', 'Jessie'],
  ['Samantha', 'Sam', 'Sammie'],
  ['Kimberly', 'Kim'],
  ['Abigail', 'Abby'],
  ['Gregory', 'Greg'],
  ['Jeffrey', 'Jeff'],
  ['Lawrence', 'Larry'],
  ['Ronald', 'Ron', 'Ronnie'],
  ['Francisco', 'Paco', 'Frank'],
  ['Johannes', 'Hans', 'Jo'],
  ['Wolfgang', 'Wolf'],
];

/** First names without common short forms (each is its own single-member family). */
export const PLAIN_FIRST_NAMES: readonly string[] = [
  'Maria', 'Priya', 'Wei', 'Aisha', 'Carlos', 'Olivia', 'Noah', 'Emma', 'Liam', 'Sofia',
  'Hiroshi', 'Ananya', 'Fatima', 'Diego', 'Chloe', 'Ethan', 'Grace', 'Mateo', 'Zoe', 'Omar',
  'Lena', 'Lukas', 'Amara', 'Kenji', 'Ingrid', 'Rahul', 'Yusuf', 'Nadia', 'Tariq', 'Mei',
  'Claire', 'Sean', 'Fiona', 'Hannah', 'Julia', 'Laura', 'Paul', 'Mark', 'Karen', 'Nina',
];

export const LAST_NAMES: readonly string[] = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez',
  'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin',
  'Lee', 'Perez', 'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson',
  'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Torres', 'Nguyen', 'Hill', 'Flores',
  'Green', 'Adams', 'Nelson', 'Baker', 'Hall', 'Rivera', 'Campbell', 'Mitchell', 'Carter', 'Roberts',
  'Chen', 'Patel', 'Kim', 'Singh', 'Wang', 'Kumar', 'Nakamura', 'Okafor', 'Haddad', 'Kowalski',
  'Schmidt', 'Müller', 'Schneider', 'Fischer', 'Weber', 'Becker', 'Hoffmann', 'Wagner', 'Koch', 'Richter',
  "O'Brien", "O'Connor", 'McDonald', 'MacLeod', 'Murphy', 'Kelly', 'Sullivan', 'Walsh', 'Byrne', 'Ryan',
  'Tremblay', 'Gagnon', 'Roy', 'Côté', 'Bouchard', 'Gauthier', 'Morin', 'Lavoie', 'Fortin', 'Gagné',
  'Evans', 'Hughes', 'Edwards', 'Collins', 'Stewart', 'Morris', 'Rogers', 'Reed', 'Cook', 'Morgan',
  'Bell', 'Murray', 'Cooper', 'Richardson', 'Cox', 'Howard', 'Ward', 'Peterson', 'Gray', 'James',
  'Watson', 'Brooks', 'Kelley', 'Sanders', 'Price', 'Bennett', 'Wood', 'Barnes', 'Ross', 'Henderson',
  'Coleman', 'Jenkins', 'Perry', 'Powell', 'Long', 'Patterson', 'Hayes', 'Butler', 'Simmons', 'Foster',
  'Van der Berg', 'De Luca', 'Rossi', 'Russo', 'Ferrari', 'Esposito', 'Novak', 'Horvat', 'Larsen', 'Jensen',
];

/** Evocative first words of company names. */
export const COMPANY_STEMS: readonly string[] = [
  'Northwind', 'Bluewater', 'Ironwood', 'Silverline', 'Redstone', 'Summit', 'Pinnacle', 'Harbor', 'Cedar', 'Maple',
  'Granite', 'Falcon', 'Orion', 'Apex', 'Vertex', 'Nimbus', 'Cobalt', 'Crimson', 'Evergreen', 'Brightpath',
  'Clearview', 'Keystone', 'Lighthouse', 'Oakridge', 'Pioneer', 'Quantum', 'Riverbend', 'Sterling', 'Trident', 'Vanguard',
  'Westfield', 'Zenith', 'Aurora', 'Beacon', 'Catalyst', 'Driftwood', 'Emberly', 'Foxglove', 'Goldcrest', 'Highland',
  'Indigo', 'Juniper', 'Kestrel', 'Lakeshore', 'Magnolia', 'Northstar', 'Obsidian', 'Parkside', 'Quarry', 'Redwood',
  'Saltmarsh', 'Tidewater', 'Upland', 'Valiant', 'Willow', 'Yellowpine', 'Alder', 'Bramble', 'Copperleaf', 'Dunmore',
  'Eastgate', 'Fairhaven', 'Greystone', 'Hawthorne', 'Ivory', 'Jasper', 'Kingsley', 'Larkspur', 'Meadowbrook', 'Newhaven',
  'Oakmont', 'Peregrine', 'Quillon', 'Rosewood', 'Sandpiper', 'Thornbury', 'Ultramarine', 'Verdant', 'Whitcombe', 'Yarrow',
  'Acme', 'Blackrock', 'Coastal', 'Delta', 'Echo', 'Frontier', 'Glacier', 'Horizon', 'Island', 'Jetstream',
  'Kinetic', 'Lumen', 'Mosaic', 'Nova', 'Omega', 'Prairie', 'Radiant', 'Solstice', 'Titan', 'Unity',
  'Vista', 'Wildflower', 'Zephyr', 'Atlas', 'Boreal', 'Cascade', 'Dynamo', 'Elmstead', 'Fjord', 'Gateway',
  'Helix', 'Ironclad', 'Javelin', 'Keel', 'Lodestar', 'Monarch', 'Nautilus', 'Outpost', 'Paragon', 'Quicksilver',
  'Rampart', 'Sequoia', 'Tundra', 'Umber', 'Vector', 'Wavecrest', 'Xenon', 'Yukon', 'Zircon', 'Amberley',
  'Bellwether', 'Crestline', 'Daybreak', 'Eastwood', 'Firefly', 'Greenfield', 'Halcyon', 'Inland', 'Jadestone', 'Kingfisher',
];

/** Optional second words ("Harbor Point Logistics"). */
export const COMPANY_SECOND_WORDS: readonly string[] = [
  'Bay', 'Valley', 'Ridge', 'Point', 'Creek', 'Peak', 'Field', 'Stone', 'Lake', 'Rock',
  'Hill', 'River', 'Bridge', 'Grove', 'Harbor', 'Mill', 'Forge', 'Gate', 'Park', 'Crest',
  'Brook', 'Wood', 'Shore', 'Hollow', 'Meadow', 'Pines', 'Springs', 'Falls', 'Heights', 'Cove',
];

/**
 * The last word of a company name, with the abbreviation some systems use for it. Two
 * distinct customers may share a stem and differ only here (hard negatives for matching).
 */
export const COMPANY_KINDS: readonly (readonly [full: string, abbreviated: string | null])[] = [
  ['Traders', null], ['Logistics', null], ['Systems', 'Sys.'], ['Technologies', 'Tech'], ['Manufacturing', 'Mfg.'],
  ['Foods', null], ['Health', null], ['Analytics', null], ['Laboratories', 'Labs'], ['Partners', null],
  ['Consulting', null], ['Energy', null], ['Industries', 'Inds.'], ['Networks', null], ['Software', null],
  ['Supply', null], ['Freight', null], ['Media', null], ['Robotics', null], ['Dynamics', null],
  ['Solutions', null], ['Holdings', null], ['Group', 'Grp'], ['Corporation', 'Corp.'], ['Company', 'Co.'],
  ['Associates', 'Assoc.'], ['Instruments', null], ['Pharmaceuticals', 'Pharma'], ['Outfitters', null], ['Studios', null],
  ['Builders', null], ['Capital', null], ['Insurance', null], ['Biosciences', null], ['Materials', null],
  ['Electric', null], ['Motors', null], ['Textiles', null], ['Brewing', 'Brewing Co.'], ['International', 'Intl.'],
];

export const INDUSTRIES: readonly string[] = [
  'Technology', 'Manufacturing', 'Retail', 'Healthcare', 'Finance', 'Education', 'Transportation',
  'Media', 'Energy', 'Hospitality', 'Construction', 'Consulting', 'Insurance', 'Biotechnology',
  'Food & Beverage', 'Apparel', 'Telecommunications', 'Utilities', 'Agriculture', 'Shipping',
];

export const TITLES: readonly string[] = [
  'CEO', 'CTO', 'VP Engineering', 'Head of Operations', 'IT Manager', 'Director of IT', 'Operations Manager',
  'Procurement Manager', 'VP Sales', 'Product Manager', 'Office Manager', 'Systems Administrator',
  'Customer Success Lead', 'Engineering Manager', 'COO', 'Head of Data', 'Purchasing Agent', 'Developer',
];

export const BILLING_TITLES: readonly string[] = [
  'Controller', 'CFO', 'Accounts Payable Manager', 'Finance Director', 'AP Specialist', 'VP Finance', 'Bookkeeper',
];

export const FREE_MAIL_DOMAINS: readonly string[] = ['gmail.com', 'yahoo.com', 'outlook.com', 'hotmail.com', 'icloud.com', 'aol.com'];

export type Country = 'US' | 'CA' | 'GB' | 'DE';

/**
 * City, subdivision (ISO 3166-2 code without the country, and the written-out name), the
 * first characters of its postal codes, and its phone area code (national, no trunk 0).
 */
export interface City {
  city: string;
  region: string;
  regionName: string;
  postalPrefix: string;
  areaCode: string;
}

export const CITIES: Readonly<Record<Country, readonly City[]>> = {
  US: [
    { city: 'San Francisco', region: 'CA', regionName: 'California', postalPrefix: '941', areaCode: '415' },
    { city: 'Los Angeles', region: 'CA', regionName: 'California', postalPrefix: '900', areaCode: '213' },
    { city: 'San Diego', region: 'CA', regionName: 'California', postalPrefix: '921', areaCode: '619' },
    { city: 'San Jose', region: 'CA', regionName: 'California', postalPrefix: '951', areaCode: '408' },
    { city: 'Seattle', region: 'WA', regionName: 'Washington', postalPrefix: '981', areaCode: '206' },
    { city: 'Portland', region: 'OR', regionName: 'Oregon', postalPrefix: '972', areaCode: '503' },
    { city: 'Denver', region: 'CO', regionName: 'Colorado', postalPrefix: '802', areaCode: '303' },
    { city: 'Austin', region: 'TX', regionName: 'Texas', postalPrefix: '787', areaCode: '512' },
    { city: 'Dallas', region: 'TX', regionName: 'Texas', postalPrefix: '752', areaCode: '214' },
    { city: 'Houston', region: 'TX', regionName: 'Texas', postalPrefix: '770', areaCode: '713' },
    { city: 'Chicago', region: 'IL', regionName: 'Illinois', postalPrefix: '606', areaCode: '312' },
    { city: 'Minneapolis', region: 'MN', regionName: 'Minnesota', postalPrefix: '554', areaCode: '612' },
    { city: 'Detroit', region: 'MI', regionName: 'Michigan', postalPrefix: '482', areaCode: '313' },
    { city: 'Columbus', region: 'OH', regionName: 'Ohio', postalPrefix: '432', areaCode: '614' },
    { city: 'Atlanta', region: 'GA', regionName: 'Georgia', postalPrefix: '303', areaCode: '404' },
    { city: 'Miami', region: 'FL', regionName: 'Florida', postalPrefix: '331', areaCode: '305' },
    { city: 'Tampa', region: 'FL', regionName: 'Florida', postalPrefix: '336', areaCode: '813' },
    { city: 'Charlotte', region: 'NC', regionName: 'North Carolina', postalPrefix: '282', areaCode: '704' },
    { city: 'Raleigh', region: 'NC', regionName: 'North Carolina', postalPrefix: '276', areaCode: '919' },
    { city: 'Nashville', region: 'TN', regionName: 'Tennessee', postalPrefix: '372', areaCode: '615' },
    { city: 'New York', region: 'NY', regionName: 'New York', postalPrefix: '100', areaCode: '212' },
    { city: 'Brooklyn', region: 'NY', regionName: 'New York', postalPrefix: '112', areaCode: '718' },
    { city: 'Boston', region: 'MA', regionName: 'Massachusetts', postalPrefix: '021', areaCode: '617' },
    { city: 'Newark', region: 'NJ', regionName: 'New Jersey', postalPrefix: '071', areaCode: '973' },
    { city: 'Philadelphia', region: 'PA', regionName: 'Pennsylvania', postalPrefix: '191', areaCode: '215' },
    { city: 'Pittsburgh', region: 'PA', regionName: 'Pennsylvania', postalPrefix: '152', areaCode: '412' },
    { city: 'Baltimore', region: 'MD', regionName: 'Maryland', postalPrefix: '212', areaCode: '410' },
    { city: 'Salt Lake City', region: 'UT', regionName: 'Utah', postalPrefix: '841', areaCode: '801' },
    { city: 'Phoenix', region: 'AZ', regionName: 'Arizona', postalPrefix: '850', areaCode: '602' },
    { city: 'Hartford', region: 'CT', regionName: 'Connecticut', postalPrefix: '061', areaCode: '860' },
  ],
  CA: [
    { city: 'Toronto', region: 'ON', regionName: 'Ontario', postalPrefix: 'M5V', areaCode: '416' },
    { city: 'Ottawa', region: 'ON', regionName: 'Ontario', postalPrefix: 'K1P', areaCode: '613' },
    { city: 'Vancouver', region: 'BC', regionName: 'British Columbia', postalPrefix: 'V6B', areaCode: '604' },
    { city: 'Montréal', region: 'QC', regionName: 'Quebec', postalPrefix: 'H3B', areaCode: '514' },
    { city: 'Calgary', region: 'AB', regionName: 'Alberta', postalPrefix: 'T2P', areaCode: '403' },
  ],
  GB: [
    { city: 'London', region: 'ENG', regionName: 'England', postalPrefix: 'EC1A', areaCode: '20' },
    { city: 'London', region: 'ENG', regionName: 'England', postalPrefix: 'SW1A', areaCode: '20' },
    { city: 'Manchester', region: 'ENG', regionName: 'England', postalPrefix: 'M1', areaCode: '161' },
    { city: 'Birmingham', region: 'ENG', regionName: 'England', postalPrefix: 'B1', areaCode: '121' },
    { city: 'Edinburgh', region: 'SCT', regionName: 'Scotland', postalPrefix: 'EH1', areaCode: '131' },
  ],
  DE: [
    { city: 'Berlin', region: 'BE', regionName: 'Berlin', postalPrefix: '101', areaCode: '30' },
    { city: 'München', region: 'BY', regionName: 'Bayern', postalPrefix: '803', areaCode: '89' },
    { city: 'Hamburg', region: 'HH', regionName: 'Hamburg', postalPrefix: '200', areaCode: '40' },
    { city: 'Frankfurt am Main', region: 'HE', regionName: 'Hessen', postalPrefix: '603', areaCode: '69' },
    { city: 'Köln', region: 'NW', regionName: 'Nordrhein-Westfalen', postalPrefix: '506', areaCode: '221' },
  ],
};

/** Street names; the street type is added separately so it can be abbreviated. */
export const STREET_NAMES: readonly string[] = [
  'Main', 'Oak', 'Market', 'Mission', 'Elm', 'Pine', 'Maple', 'Cedar', 'Washington', 'Lake',
  'Hill', 'Park', 'Sunset', 'Church', 'Spring', 'Highland', 'Franklin', 'Madison', 'Jefferson', 'Lincoln',
  'Harbor', 'River', 'Valley', 'Commerce', 'Industrial', 'Technology', 'Innovation', 'College', 'Union', 'Front',
  'King', 'Queen', 'Bay', 'Cherry', 'Wellington', 'Adelaide', 'Granville', 'Sherbrooke', 'Grove', 'Howard',
];

/** US/CA street types with the abbreviation USPS and most CRMs use. */
export const STREET_TYPES: readonly (readonly [full: string, abbreviated: string])[] = [
  ['Street', 'St'], ['Avenue', 'Ave'], ['Boulevard', 'Blvd'], ['Road', 'Rd'], ['Drive', 'Dr'],
  ['Lane', 'Ln'], ['Place', 'Pl'], ['Court', 'Ct'], ['Parkway', 'Pkwy'], ['Way', 'Way'],
];

export const GB_STREETS: readonly string[] = [
  'High Street', 'Station Road', 'Church Lane', 'Victoria Road', 'Mill Lane', 'Kings Road', 'Queen Street',
  'Park Road', 'London Road', 'Market Street', 'Castle Street', 'George Street', 'Bridge Street', 'North Road',
];

/** German streets written with "straße" so the Str./Strasse variants can be made from them. */
export const DE_STREETS: readonly string[] = [
  'Hauptstraße', 'Bahnhofstraße', 'Schulstraße', 'Gartenstraße', 'Dorfstraße', 'Bergstraße', 'Lindenstraße',
  'Friedrichstraße', 'Kastanienallee', 'Marktplatz', 'Goethestraße', 'Schillerstraße', 'Mühlenweg', 'Industriestraße',
];

export const PRODUCTS: readonly { name: string; monthly: number }[] = [
  { name: 'Platform Team', monthly: 4900 },
  { name: 'Platform Business', monthly: 14900 },
  { name: 'Platform Enterprise', monthly: 49900 },
  { name: 'Premium Support', monthly: 9900 },
];

export const TICKET_SUBJECTS: readonly string[] = [
  'Cannot log in after password reset', 'Invoice shows the wrong amount', 'How do I add a new user?',
  'API returns 500 on export', 'Request to change billing contact', 'SSO configuration question',
  'Data import failed halfway', 'Feature request: bulk edit', 'Slow dashboard loading', 'Webhook deliveries delayed',
  'Need a copy of our contract', 'Update our company address', 'Cancel an extra seat', 'Integration with our ERP',
  'Report totals do not match', 'Locked out of admin account', 'Question about renewal pricing', 'Email notifications not arriving',
];

export const SF_OPEN_STAGES: readonly (readonly [stage: string, probability: number])[] = [
  ['Prospecting', 10], ['Qualification', 10], ['Needs Analysis', 20], ['Value Proposition', 50],
  ['Id. Decision Makers', 60], ['Proposal/Price Quote', 75], ['Negotiation/Review', 90],
];
