// jstat ships no type declarations; this declares the one function dnsbench uses.
declare module 'jstat' {
  const pkg: {
    jStat: {
      /** The chi-square distribution; cdf(x, degrees of freedom) is P(X <= x). */
      chisquare: { cdf(x: number, dof: number): number };
    };
  };
  export default pkg;
}
