// One-vs-one C-SVC as LIBSVM builds it and scikit-learn reports it: one binary problem per pair of
// classes (i, j), i < j, in the order (0,1), (0,2), …, (0,k−1), (1,2), …; model assembly into
// scikit-learn's support_ / n_support_ / dual_coef_ / intercept_ layout; decision values and votes.
//
// Layout (k classes, support vectors grouped by class, ascending training index within a class):
//   dual[r, s]   row r of (k−1), column s of nSV. For the pair (i, j), the coefficients of class i's
//                support vectors sit in row j−1 and those of class j's in row i (LIBSVM's sv_coef).
//   intercept[p] for pair p; decision_p(x) = Σ_s∈i dual[j−1, s] K(x, s) + Σ_s∈j dual[i, s] K(x, s)
//                + intercept[p].
// Sign conventions: LIBSVM solves pair (i, j) with y = +1 for class i and reports Σ αy K − ρ, so
// positive means class i. scikit-learn stores intercept = −ρ; for two classes it also negates
// dual_coef_ and intercept_ (positive then means class 1). Both conventions are applied here, and
// the votes undo the binary negation exactly (IEEE negation is exact).
//
// Inputs are validated by SVMValidation before anything here runs.

/// The one-vs-one training and evaluation behind ``SupportVectorClassifier``.
enum OneVsOne {
    /// The class pairs (i, j), i < j, in LIBSVM's and scikit-learn's order.
    static func classPairs(classCount: Int) -> [(first: Int, second: Int)] {
        var pairs: [(first: Int, second: Int)] = []
        for i in 0..<classCount {
            for j in (i + 1)..<classCount { pairs.append((i, j)) }
        }
        return pairs
    }

    /// The result of training: a model, or the pair whose SMO run reached the limit.
    enum Outcome {
        case trained(SupportVectorClassifier)
        case notConverged(first: Int, second: Int, iterations: Int)
    }

    /// Trains every pair on the full training kernel and assembles the model.
    static func train(kernel: Matrix, labels: [Int], classCount: Int, parameters: SVCParameters) -> Outcome {
        let n = labels.count
        // members[c]: the training indices of class c in ascending order (LIBSVM's grouping).
        var members = Array(repeating: [Int](), count: classCount)
        for (index, label) in labels.enumerated() { members[label].append(index) }
        assert(members.allSatisfy { !$0.isEmpty })

        let pairs = classPairs(classCount: classCount)
        var isSupport = Array(repeating: false, count: n)           // α > 0 in any pair
        var solutions: [BinarySVCSolution] = []
        solutions.reserveCapacity(pairs.count)
        for (first, second) in pairs {
            let indices = members[first] + members[second]
            let signs = Array(repeating: 1.0, count: members[first].count) + Array(repeating: -1.0, count: members[second].count)
            let solver = SMOSolver(kernel: kernel, trainingIndices: indices, signs: signs, cost: parameters.c, tolerance: parameters.tolerance)
            let solution = solver.solve(maxIterations: parameters.maxIterations, shrinking: parameters.shrinking)
            guard solution.converged else {
                return .notConverged(first: first, second: second, iterations: parameters.maxIterations)
            }
            for (s, coefficient) in solution.coefficients.enumerated() where abs(coefficient) > 0 {
                isSupport[indices[s]] = true
            }
            solutions.append(solution)
        }

        // Support vectors grouped by class; column[t]: the column of training sample t in dual.
        var supportIndices: [Int] = []
        var supportCounts = Array(repeating: 0, count: classCount)
        var column = Array(repeating: -1, count: n)
        for c in 0..<classCount {
            for t in members[c] where isSupport[t] {
                column[t] = supportIndices.count
                supportIndices.append(t)
                supportCounts[c] += 1
            }
        }

        var dual = Matrix(rows: classCount - 1, columns: supportIndices.count)
        var intercepts: [Double] = []
        for (p, (first, second)) in pairs.enumerated() {
            let coefficients = solutions[p].coefficients
            let firstCount = members[first].count
            for (s, t) in members[first].enumerated() where isSupport[t] {
                dual[second - 1, column[t]] = coefficients[s]
            }
            for (s, t) in members[second].enumerated() where isSupport[t] {
                dual[first, column[t]] = coefficients[firstCount + s]
            }
            let rho = solutions[p].rho
            intercepts.append(rho != 0 ? -rho : 0)  // scikit-learn's intercept_ = −ρ (never −0)
        }
        if classCount == 2 {
            // scikit-learn's binary convention: positive decision values mean class 1.
            for v in dual.values.indices { dual.values[v] = -dual.values[v] }
            intercepts[0] = -intercepts[0]
        }

        return .trained(SupportVectorClassifier(
            classCount: classCount,
            trainingSampleCount: n,
            supportIndices: supportIndices,
            supportCounts: supportCounts,
            dualCoefficients: dual,
            intercepts: intercepts,
            iterations: solutions.map(\.iterations)))
    }

    /// Decision values, nTest × pairs: for each row r of `kernel`, the value of each pair with
    /// K(x_r, support vector s) read at `kernel[r, columns[s]]` (or `kernel[r, s]` when `columns` is nil).
    static func decisionValues(of model: SupportVectorClassifier, kernel: Matrix, columns: [Int]?) -> Matrix {
        let pairs = classPairs(classCount: model.classCount)
        let nSV = model.supportIndices.count
        assert(columns.map { $0.count == nSV } ?? (kernel.columns == nSV))
        // start[c]: the first support vector (column of dual) of class c.
        var start = Array(repeating: 0, count: model.classCount + 1)
        for c in 0..<model.classCount { start[c + 1] = start[c] + model.supportCounts[c] }

        let dual = model.dualCoefficients
        var out = Matrix(rows: kernel.rows, columns: pairs.count)
        for r in 0..<kernel.rows {
            let rowBase = r * kernel.columns
            for (p, (first, second)) in pairs.enumerated() {
                var sum = 0.0
                for s in start[first]..<start[first + 1] {
                    sum += dual[second - 1, s] * kernel.values[rowBase + (columns?[s] ?? s)]
                }
                for s in start[second]..<start[second + 1] {
                    sum += dual[first, s] * kernel.values[rowBase + (columns?[s] ?? s)]
                }
                out[r, p] = sum + model.intercepts[p]
            }
        }
        return out
    }

    /// The class of each row of decision values by one-vs-one voting: pair (i, j) votes for i when
    /// LIBSVM's value is > 0, else for j; the most votes win, ties going to the lowest class index.
    static func vote(decisionValues: Matrix, classCount: Int) -> [Int] {
        let pairs = classPairs(classCount: classCount)
        // scikit-learn negates the binary value; LIBSVM's own sign decides the vote.
        let libsvmSign: Double = classCount == 2 ? -1 : 1
        var votes = Array(repeating: 0, count: classCount)
        var predictions: [Int] = []
        predictions.reserveCapacity(decisionValues.rows)
        for r in 0..<decisionValues.rows {
            for c in votes.indices { votes[c] = 0 }
            for (p, (first, second)) in pairs.enumerated() {
                if libsvmSign * decisionValues[r, p] > 0 { votes[first] += 1 } else { votes[second] += 1 }
            }
            var winner = 0
            for c in 1..<classCount where votes[c] > votes[winner] { winner = c }
            predictions.append(winner)
        }
        return predictions
    }
}
