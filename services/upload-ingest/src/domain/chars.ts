/** Character codes the hand-written scanners (lines, CSV fields, numbers) compare against. */
export const TAB = 9;
export const LF = 10;
export const CR = 13;
export const SPACE = 32;
export const QUOTE = 34;
export const PLUS = 43;
export const COMMA = 44;
export const MINUS = 45;
export const DOT = 46;
export const DIGIT_0 = 48;
export const DIGIT_9 = 57;
export const UPPER_E = 69;
export const LOWER_E = 101;
