// Common English given names and the short forms people go by, so "Bob Smith" and "Robert Smith"
// can be recognised as one person. Written by hand from the usual diminutives; each row is one
// name family: the formal name first, then its nicknames. A short form that belongs to several
// families ("Al": Albert, Alan, Alexander…) is listed in each, and resolves to all of them.
const FAMILIES: readonly (readonly string[])[] = [
  ['abigail', 'abby', 'abbie', 'gail'],
  ['abraham', 'abe', 'bram'],
  ['albert', 'al', 'bert', 'bertie'],
  ['alan', 'al', 'allan', 'allen'],
  ['alexander', 'alex', 'al', 'alec', 'sandy', 'xander', 'lex'],
  ['alexandra', 'alex', 'alexa', 'sandra', 'sandy', 'lexi', 'allie'],
  ['alfred', 'alf', 'alfie', 'fred', 'freddie'],
  ['andrew', 'andy', 'drew'],
  ['angela', 'angie'],
  ['anthony', 'tony', 'ant'],
  ['arthur', 'art', 'artie'],
  ['barbara', 'barb', 'barbie', 'babs'],
  ['benjamin', 'ben', 'benny', 'benji'],
  ['bernard', 'bernie'],
  ['beverly', 'bev'],
  ['bradley', 'brad'],
  ['bridget', 'biddy', 'bridie'],
  ['calvin', 'cal'],
  ['cameron', 'cam'],
  ['caroline', 'carol', 'carrie', 'caro'],
  ['catherine', 'cathy', 'cath', 'kate', 'katie', 'kathy', 'katherine', 'kathryn', 'kat', 'cate', 'kitty'],
  ['charles', 'charlie', 'chuck', 'chas', 'chaz'],
  ['charlotte', 'charlie', 'lottie', 'lotte'],
  ['christina', 'chris', 'tina', 'christine', 'chrissy', 'kristina', 'kristine'],
  ['christopher', 'chris', 'kit', 'topher'],
  ['clifford', 'cliff'],
  ['cynthia', 'cindy'],
  ['daniel', 'dan', 'danny'],
  ['danielle', 'dani'],
  ['david', 'dave', 'davey', 'davy'],
  ['deborah', 'debbie', 'deb', 'debra'],
  ['dennis', 'denny'],
  ['dominic', 'dom'],
  ['donald', 'don', 'donnie'],
  ['dorothy', 'dot', 'dottie', 'dolly'],
  ['douglas', 'doug'],
  ['edward', 'ed', 'eddie', 'ted', 'teddy', 'ned'],
  ['edwin', 'ed', 'eddie'],
  ['eleanor', 'ellie', 'nell', 'nora', 'elle'],
  ['elizabeth', 'liz', 'lizzie', 'beth', 'betty', 'bess', 'bessie', 'eliza', 'libby', 'lisa', 'elsie', 'betsy', 'liza'],
  ['emily', 'em', 'emmy', 'millie'],
  ['eugene', 'gene'],
  ['frances', 'fran', 'frankie', 'fanny'],
  ['francis', 'frank', 'fran', 'frankie'],
  ['frederick', 'fred', 'freddie', 'freddy', 'fritz'],
  ['gabriel', 'gabe'],
  ['gabrielle', 'gabby', 'gabi'],
  ['geoffrey', 'geoff', 'jeff', 'jeffrey'],
  ['gerald', 'gerry', 'jerry'],
  ['gregory', 'greg'],
  ['harold', 'harry', 'hal'],
  ['henry', 'harry', 'hank', 'hal'],
  ['herbert', 'herb', 'bert'],
  ['isabella', 'bella', 'izzy', 'isabel', 'isobel', 'belle'],
  ['jacob', 'jake', 'jac'],
  ['james', 'jim', 'jimmy', 'jamie', 'jem'],
  ['janet', 'jan', 'jenny'],
  ['jennifer', 'jen', 'jenny', 'jenn'],
  ['jessica', 'jess', 'jessie'],
  ['joanna', 'jo', 'joanne', 'joann'],
  ['john', 'jack', 'johnny', 'jon', 'jonathan', 'jonny'],
  ['jonathan', 'jon', 'john', 'jonny', 'johnny', 'nathan'],
  ['joseph', 'joe', 'joey', 'jos'],
  ['josephine', 'jo', 'josie'],
  ['joshua', 'josh'],
  ['judith', 'judy', 'jude'],
  ['kenneth', 'ken', 'kenny'],
  ['kimberly', 'kim', 'kimberley'],
  ['lawrence', 'larry', 'laurie', 'laurence'],
  ['leonard', 'leo', 'len', 'lenny'],
  ['louis', 'lou', 'louie'],
  ['louise', 'lou', 'lulu'],
  ['madeleine', 'maddie', 'maddy', 'madeline'],
  ['margaret', 'maggie', 'meg', 'peggy', 'marge', 'margie', 'greta', 'daisy', 'molly', 'madge'],
  ['matilda', 'tilly', 'tilda', 'mattie'],
  ['matthew', 'matt', 'matty'],
  ['michael', 'mike', 'mick', 'mickey', 'micky', 'mikey'],
  ['michelle', 'shelly', 'michele', 'chelle'],
  ['nathaniel', 'nathan', 'nat', 'nate'],
  ['nicholas', 'nick', 'nicky', 'nico', 'nic'],
  ['nicole', 'nikki', 'nicky', 'nic'],
  ['oliver', 'ollie', 'olly'],
  ['olivia', 'liv', 'livvy', 'ollie'],
  ['patricia', 'pat', 'patty', 'tricia', 'trish', 'patsy'],
  ['patrick', 'pat', 'paddy', 'rick'],
  ['peter', 'pete'],
  ['philip', 'phil', 'pip', 'phillip'],
  ['rachel', 'rach'],
  ['raymond', 'ray'],
  ['rebecca', 'becky', 'becca', 'bec'],
  ['richard', 'rick', 'ricky', 'dick', 'rich', 'richie'],
  ['robert', 'bob', 'bobby', 'rob', 'robbie', 'bert', 'robby'],
  ['ronald', 'ron', 'ronnie'],
  ['rosemary', 'rose', 'rosie'],
  ['samantha', 'sam', 'sammy'],
  ['samuel', 'sam', 'sammy'],
  ['sarah', 'sally', 'sadie', 'sara'],
  ['stephanie', 'steph', 'stevie'],
  ['stephen', 'steve', 'stevie', 'steven'],
  ['susan', 'sue', 'susie', 'suzy', 'suzanne'],
  ['theodore', 'theo', 'ted', 'teddy'],
  ['thomas', 'tom', 'tommy'],
  ['timothy', 'tim', 'timmy'],
  ['valerie', 'val'],
  ['victoria', 'vicky', 'vickie', 'tori', 'vic'],
  ['vincent', 'vince', 'vinnie'],
  ['walter', 'walt', 'wally'],
  ['william', 'will', 'bill', 'billy', 'willie', 'liam', 'willy'],
  ['zachary', 'zach', 'zack', 'zak'],
];

const VARIANTS: ReadonlyMap<string, readonly string[]> = (() => {
  const m = new Map<string, string[]>();
  for (const family of FAMILIES) {
    const formal = family[0]!;
    for (const name of family) {
      const list = m.get(name) ?? [];
      if (!list.includes(formal)) list.push(formal);
      m.set(name, list);
    }
  }
  for (const list of m.values()) list.sort();
  return m;
})();

/**
 * The formal names a lower-case, diacritic-free given name can stand for: "bob" → ["robert"],
 * "al" → ["alan", "albert", "alexander"], "robert" → ["robert"]. A name the table does not know
 * stands for itself.
 */
export function formalGivenNames(key: string): readonly string[] {
  return VARIANTS.get(key) ?? [key];
}
