/**
 * Eigen-decomposition of a small real symmetric matrix by the cyclic Jacobi method.
 *
 * Jacobi is slow for large matrices but exact to working precision for the 9x9 normal matrix
 * of a homography fit, has no pivoting to get wrong and needs no library.
 */

export interface SymmetricEigen {
  /** Eigenvalues in ascending order. */
  values: Float64Array;
  /** Eigenvectors as rows, row k belonging to `values[k]`, each of unit length. */
  vectors: Float64Array[];
}

/** Sweeps after which Jacobi is stopped; convergence is quadratic, 9x9 needs about 6-10. */
const MAX_SWEEPS = 60;

/**
 * Eigenvalues and eigenvectors of the symmetric `n` x `n` matrix `matrix` (row-major).
 * Only the upper triangle is read; the input is not modified.
 */
export function symmetricEigen(matrix: ArrayLike<number>, n: number): SymmetricEigen {
  if (matrix.length !== n * n) {
    throw new RangeError(
      `symmetricEigen: expected ${n * n} entries for ${n}x${n}, got ${matrix.length}`,
    );
  }
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      a[i * n + j] = matrix[i * n + j];
      a[j * n + i] = matrix[i * n + j];
    }
  }
  // v holds the accumulated rotations; its columns become the eigenvectors.
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;

  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += a[i * n + i] * a[i * n + i];
      for (let j = i + 1; j < n; j++) off += a[i * n + j] * a[i * n + j];
    }
    if (off === 0 || off <= 1e-32 * diag) break;

    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const app = a[p * n + p];
        const aqq = a[q * n + q];
        // Rotation angle that zeroes a[p][q], in the numerically stable form (Golub & Van Loan 8.4).
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }

  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[i * n + i] - a[j * n + j]);
  const values = new Float64Array(n);
  const vectors: Float64Array[] = [];
  order.forEach((col, k) => {
    values[k] = a[col * n + col];
    const vec = new Float64Array(n);
    for (let r = 0; r < n; r++) vec[r] = v[r * n + col];
    vectors.push(vec);
  });
  return { values, vectors };
}
