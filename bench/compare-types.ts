/**
 * One line of the comparison table printed by `npm run bench:compare`: the same
 * load measured against a reference server and against Wharf in one run.
 */
export type Row = {
  measure: string;
  reference: string;
  referenceValue: number;
  wharfValue: number;
  unit: string;
  higherIsBetter: boolean;
};
