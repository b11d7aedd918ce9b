// The keys identity matching builds on: given-name families (nicknames), calendar dates as
// systems write them, free-text and digit keys.
import { describe, expect, it } from 'vitest';
import { digitsOnly, givenNameMatchKey, givenNameVariants, parseCalendarDate, textMatchKey, toIsoDate } from '../../src/normalize/index.ts';

describe('given-name families', () => {
  it.each([
    ['Bob', ['robert']],
    ['ROBERT', ['robert']],
    ['Liz', ['elizabeth']],
    ['Elizabeth', ['elizabeth']],
    ['Jon', ['john', 'jonathan']],
    ['Jonathan', ['john', 'jonathan']],
    ['John', ['john', 'jonathan']],
    ['Al', ['alan', 'albert', 'alexander']],
    ['José', ['jose']],
    ['Mary Anne', ['mary']],
    ['  ', []],
    [null, []],
  ])('reads %j as %j', (raw, want) => expect(givenNameVariants(raw)).toEqual(want));

  it('keys a nickname and its formal name alike', () => {
    expect(givenNameMatchKey('Bob')).toBe(givenNameMatchKey('Robert'));
    expect(givenNameMatchKey('Bill')).toBe('william');
    expect(givenNameMatchKey('Zebedee')).toBe('zebedee');
  });
});

describe('calendar dates', () => {
  it.each([
    ['19081209', '1908-12-09'],
    ['1908-12-09', '1908-12-09'],
    ['1908/12/9', '1908-12-09'],
    ['09/12/1908', '1908-12-09'],
    ['9.12.1908', '1908-12-09'],
    ['2024-02-29T10:00:00Z', '2024-02-29'],
    [19600210, '1960-02-10'],
    ['19000229', null],
    ['19450231', null],
    ['1908', null],
    ['', null],
    [null, null],
  ])('reads %j as %j', (raw, want) => expect(toIsoDate(raw)).toBe(want));

  it('reads day and month in the order asked', () => {
    expect(toIsoDate('03/04/1990', 'MDY')).toBe('1990-03-04');
    expect(toIsoDate('03/04/1990', 'DMY')).toBe('1990-04-03');
    expect(parseCalendarDate(new Date(Date.UTC(1990, 3, 3)))).toEqual({ year: 1990, month: 4, day: 3 });
  });
});

describe('text and digit keys', () => {
  it.each([
    ['  St. James’  Court ', 'st james court'],
    ['Müller-Lüdenscheidt', 'muller ludenscheidt'],
    ['--', null],
  ])('keys %j as %j', (raw, want) => expect(textMatchKey(raw)).toBe(want));

  it.each([
    ['(415) 555-0134', '4155550134'],
    [7364009, '7364009'],
    ['n/a', null],
  ])('takes the digits of %j: %j', (raw, want) => expect(digitsOnly(raw)).toBe(want));
});
