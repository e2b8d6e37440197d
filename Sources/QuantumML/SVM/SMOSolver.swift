// The binary C-SVC dual solver: SMO with second-order working-set selection (Fan, Chen and Lin,
// "Working set selection using second order information for training support vector machines",
// JMLR 6 (2005) 1889–1918), following the Solver of LIBSVM as scikit-learn ships it, step for step,
// so that the same kernel gives the same iterates, the same support vectors and the same ρ.
//
// Problem (one pair of classes, l samples, yₜ = ±1):
//
//     min_α  ½ αᵀQα − eᵀα    subject to  yᵀα = 0,  0 ≤ αₜ ≤ C,    Q[s, t] = yₛ yₜ K[s, t]
//
// Gradient G = Qα − e. With I_up = {t | αₜ < C, yₜ = +1 or αₜ > 0, yₜ = −1} and I_low the mirror
// set, α is optimal within `tolerance` when max_{I_up} −yG − min_{I_low} −yG < tolerance.
//
// Conventions copied from LIBSVM because they decide which of two equal candidates is taken, and
// therefore the path the iterates follow:
// - Q entries are rounded to `Float` (LIBSVM caches `Qfloat = float`); the diagonal QD stays `Double`.
// - Scans take the last of equal maxima (`>=`) and the last of equal minima (`<=`).
// - Shrinking every min(l, 1000) iterations permutes the variables (swapIndex); the permutation
//   changes scan order and is kept here exactly as LIBSVM keeps it.
// - A non-positive curvature a = Q_ii + Q_jj − 2 yᵢyⱼ Q_ij is replaced by τ = 1e-12.
//
// Indices: a *position* k is where a variable currently sits (0..<l, the first `activeSize` are
// active); `trainingIndex[k]` is its row in the full training kernel; `subproblemIndex[k]` is its
// place in the subproblem as given (LIBSVM's active_set), used to put the solution back in order.
//
// Nothing here throws, logs or checks user input: callers validate first (see SVMValidation.swift).

/// Where αₜ stands relative to its box [0, C].
enum BoundStatus: UInt8 {
    case lower, upper, free
}

/// The outcome of one binary solve, in the subproblem's own order.
struct BinarySVCSolution {
    /// αₜ·yₜ for each sample of the subproblem (LIBSVM's decision-function coefficients).
    var coefficients: [Double]
    /// The offset ρ: the binary decision value is Σₜ coefficientsₜ K(xₜ, x) − ρ.
    var rho: Double
    /// SMO iterations (pairs of variables updated).
    var iterations: Int
    /// False when `maxIterations` was reached before the stopping condition held.
    var converged: Bool
}

/// LIBSVM's SMO solver for one C-SVC subproblem on a precomputed kernel.
final class SMOSolver {
    /// Curvature used in place of a non-positive one (indefinite kernels).
    static let tau = 1e-12

    // Problem data.
    private let kernel: [Double]        // the full training kernel, row-major
    private let kernelStride: Int       // its row length (number of training samples)
    private let l: Int                  // number of variables in this subproblem
    private let cost: Double            // C, the same for every variable
    private let tolerance: Double       // ε of the stopping condition

    // Per-position state; every array is permuted together by `swapIndex`.
    private var trainingIndex: [Int]    // row/column of the variable in the training kernel
    private var subproblemIndex: [Int]  // LIBSVM's active_set
    private var y: [Double]             // ±1
    private var alpha: [Double]
    private var status: [BoundStatus]
    private var gradient: [Double]      // G = Qα − e (exact on active positions)
    private var gradientBar: [Double]   // Ḡ = Σ_{t at upper bound} C Q[:, t], for shrinking
    private var diagonal: [Double]      // QD[k] = K[k, k], in Double as LIBSVM keeps it

    private var activeSize: Int
    private var unshrink = false

    // Scratch rows of Q (Float, like LIBSVM's kernel cache).
    private var rowI: [Float]
    private var rowJ: [Float]

    /// Prepares a solve.
    ///
    /// - Parameters:
    ///   - kernel: the full training kernel (n × n); row `trainingIndices[s]` gives Q's row s.
    ///   - trainingIndices: the training samples of the subproblem, in subproblem order.
    ///   - signs: yₛ = +1 or −1 for each of them.
    ///   - cost: C > 0.
    ///   - tolerance: ε > 0.
    init(kernel: Matrix, trainingIndices: [Int], signs: [Double], cost: Double, tolerance: Double) {
        assert(kernel.rows == kernel.columns)
        assert(trainingIndices.count == signs.count && trainingIndices.count >= 2)
        assert(cost > 0 && tolerance > 0)
        self.kernel = kernel.values
        self.kernelStride = kernel.columns
        self.l = trainingIndices.count
        self.cost = cost
        self.tolerance = tolerance
        self.trainingIndex = trainingIndices
        self.subproblemIndex = Array(0..<trainingIndices.count)
        self.y = signs
        // α = 0 is feasible: every variable at its lower bound, G = −e, Ḡ = 0.
        self.alpha = Array(repeating: 0, count: l)
        self.status = Array(repeating: .lower, count: l)
        self.gradient = Array(repeating: -1, count: l)
        self.gradientBar = Array(repeating: 0, count: l)
        self.diagonal = trainingIndices.map { kernel.values[$0 * kernel.columns + $0] }
        self.activeSize = l
        self.rowI = Array(repeating: 0, count: l)
        self.rowJ = Array(repeating: 0, count: l)
    }

    /// Runs SMO until the stopping condition holds or `maxIterations` updates were made.
    ///
    /// - Parameters:
    ///   - maxIterations: the most updates to make (≥ 1).
    ///   - shrinking: whether to use LIBSVM's shrinking heuristic (scikit-learn's default).
    func solve(maxIterations: Int, shrinking: Bool) -> BinarySVCSolution {
        var iterations = 0
        var converged = false
        var counter = min(l, 1000) + 1
        while true {
            if iterations >= maxIterations { break }
            counter -= 1
            if counter == 0 {
                counter = min(l, 1000)
                if shrinking { shrink() }
            }
            var pair = selectWorkingSet()
            if pair == nil {
                // Optimal on the active set: bring back every variable and check again.
                reconstructGradient()
                activeSize = l
                pair = selectWorkingSet()
                if pair == nil {
                    converged = true
                    break
                }
                counter = 1  // shrink again at the next iteration
            }
            guard let (i, j) = pair else { break }
            iterations += 1
            updatePair(i, j)
        }
        if activeSize < l {
            reconstructGradient()
            activeSize = l
        }
        let rho = calculateRho()
        var coefficients = Array(repeating: 0.0, count: l)
        for k in 0..<l { coefficients[subproblemIndex[k]] = alpha[k] * y[k] }
        return BinarySVCSolution(coefficients: coefficients, rho: rho, iterations: iterations, converged: converged)
    }

    // MARK: - Q rows

    /// row[k] = Float(yᵢ yₖ K[trainingIndex[i], trainingIndex[k]]) for k in 0..<count.
    private func fillQRow(_ row: inout [Float], of i: Int, count: Int) {
        let base = trainingIndex[i] * kernelStride
        let yi = y[i]
        for k in 0..<count {
            row[k] = Float(yi * y[k] * kernel[base + trainingIndex[k]])
        }
    }

    // MARK: - Working set

    /// The pair (i, j) to update, or nil when the active set satisfies the stopping condition.
    ///
    /// i maximises −yₜGₜ over I_up; j minimises the second-order decrease −b²/a over the t in
    /// I_low with b = −yᵢGᵢ + yₜGₜ > 0 (a replaced by τ when not positive). On return, `rowI`
    /// holds Q's row i over the active positions.
    private func selectWorkingSet() -> (Int, Int)? {
        var gMax = -Double.infinity     // max over I_up of −yG
        var gMax2 = -Double.infinity    // max over I_low of yG
        var iIndex = -1
        var jIndex = -1
        var objectiveDecreaseMin = Double.infinity

        for t in 0..<activeSize {
            if y[t] == 1 {
                if status[t] != .upper, -gradient[t] >= gMax {
                    gMax = -gradient[t]
                    iIndex = t
                }
            } else {
                if status[t] != .lower, gradient[t] >= gMax {
                    gMax = gradient[t]
                    iIndex = t
                }
            }
        }
        // With no i, gMax = −∞ and no candidate j below passes `gradientDifference > 0`.
        if iIndex != -1 { fillQRow(&rowI, of: iIndex, count: activeSize) }

        for t in 0..<activeSize {
            let gradientDifference: Double
            let curvature: Double
            if y[t] == 1 {
                guard status[t] != .lower else { continue }
                gradientDifference = gMax + gradient[t]
                if gradient[t] >= gMax2 { gMax2 = gradient[t] }
                guard gradientDifference > 0 else { continue }
                curvature = diagonal[iIndex] + diagonal[t] - 2.0 * y[iIndex] * Double(rowI[t])
            } else {
                guard status[t] != .upper else { continue }
                gradientDifference = gMax - gradient[t]
                if -gradient[t] >= gMax2 { gMax2 = -gradient[t] }
                guard gradientDifference > 0 else { continue }
                curvature = diagonal[iIndex] + diagonal[t] + 2.0 * y[iIndex] * Double(rowI[t])
            }
            let objectiveDecrease = -(gradientDifference * gradientDifference) / (curvature > 0 ? curvature : Self.tau)
            if objectiveDecrease <= objectiveDecreaseMin {
                jIndex = t
                objectiveDecreaseMin = objectiveDecrease
            }
        }

        if gMax + gMax2 < tolerance || jIndex == -1 { return nil }
        return (iIndex, jIndex)
    }

    // MARK: - Two-variable update

    /// Minimises over (αᵢ, αⱼ) with the others fixed, clips to the box keeping yᵀα, and updates G,
    /// the bound status and Ḡ. Expects `rowI` to hold Q's row i over the active positions.
    private func updatePair(_ i: Int, _ j: Int) {
        fillQRow(&rowJ, of: j, count: activeSize)
        let qij = Double(rowI[j])
        let oldAlphaI = alpha[i]
        let oldAlphaJ = alpha[j]
        let c = cost

        if y[i] != y[j] {
            // αᵢ − αⱼ is conserved.
            var curvature = diagonal[i] + diagonal[j] + 2 * qij
            if curvature <= 0 { curvature = Self.tau }
            let delta = (-gradient[i] - gradient[j]) / curvature
            let difference = alpha[i] - alpha[j]
            alpha[i] += delta
            alpha[j] += delta
            if difference > 0 {
                if alpha[j] < 0 { alpha[j] = 0; alpha[i] = difference }
            } else {
                if alpha[i] < 0 { alpha[i] = 0; alpha[j] = -difference }
            }
            if difference > 0 {  // C_i − C_j = 0 here: one C for both classes
                if alpha[i] > c { alpha[i] = c; alpha[j] = c - difference }
            } else {
                if alpha[j] > c { alpha[j] = c; alpha[i] = c + difference }
            }
        } else {
            // αᵢ + αⱼ is conserved.
            var curvature = diagonal[i] + diagonal[j] - 2 * qij
            if curvature <= 0 { curvature = Self.tau }
            let delta = (gradient[i] - gradient[j]) / curvature
            let sum = alpha[i] + alpha[j]
            alpha[i] -= delta
            alpha[j] += delta
            if sum > c {
                if alpha[i] > c { alpha[i] = c; alpha[j] = sum - c }
            } else {
                if alpha[j] < 0 { alpha[j] = 0; alpha[i] = sum }
            }
            if sum > c {
                if alpha[j] > c { alpha[j] = c; alpha[i] = sum - c }
            } else {
                if alpha[i] < 0 { alpha[i] = 0; alpha[j] = sum }
            }
        }

        // G += Q[:, i] Δαᵢ + Q[:, j] Δαⱼ over the active positions.
        let deltaAlphaI = alpha[i] - oldAlphaI
        let deltaAlphaJ = alpha[j] - oldAlphaJ
        for k in 0..<activeSize {
            gradient[k] += Double(rowI[k]) * deltaAlphaI + Double(rowJ[k]) * deltaAlphaJ
        }

        // Ḡ follows the variables that reach or leave the upper bound, over all positions.
        let wasUpperI = status[i] == .upper
        let wasUpperJ = status[j] == .upper
        updateStatus(i)
        updateStatus(j)
        if wasUpperI != (status[i] == .upper) {
            fillQRow(&rowI, of: i, count: l)
            let weight = wasUpperI ? -c : c
            for k in 0..<l { gradientBar[k] += weight * Double(rowI[k]) }
        }
        if wasUpperJ != (status[j] == .upper) {
            fillQRow(&rowJ, of: j, count: l)
            let weight = wasUpperJ ? -c : c
            for k in 0..<l { gradientBar[k] += weight * Double(rowJ[k]) }
        }
    }

    private func updateStatus(_ k: Int) {
        if alpha[k] >= cost {
            status[k] = .upper
        } else if alpha[k] <= 0 {
            status[k] = .lower
        } else {
            status[k] = .free
        }
    }

    // MARK: - Shrinking

    /// Exchanges the variables at positions a and b.
    private func swapIndex(_ a: Int, _ b: Int) {
        trainingIndex.swapAt(a, b)
        subproblemIndex.swapAt(a, b)
        y.swapAt(a, b)
        alpha.swapAt(a, b)
        status.swapAt(a, b)
        gradient.swapAt(a, b)
        gradientBar.swapAt(a, b)
        diagonal.swapAt(a, b)
    }

    /// Recomputes G on the inactive positions from Ḡ and the free variables.
    private func reconstructGradient() {
        guard activeSize < l else { return }
        for k in activeSize..<l { gradient[k] = gradientBar[k] - 1 }  // p = −1
        var freeCount = 0
        for k in 0..<activeSize where status[k] == .free { freeCount += 1 }
        // Two summation orders, chosen as LIBSVM chooses them (they round differently).
        if freeCount * l > 2 * activeSize * (l - activeSize) {
            for k in activeSize..<l {
                fillQRow(&rowI, of: k, count: activeSize)
                for t in 0..<activeSize where status[t] == .free {
                    gradient[k] += alpha[t] * Double(rowI[t])
                }
            }
        } else {
            for t in 0..<activeSize where status[t] == .free {
                fillQRow(&rowI, of: t, count: l)
                let alphaT = alpha[t]
                for k in activeSize..<l { gradient[k] += alphaT * Double(rowI[k]) }
            }
        }
    }

    /// Whether the variable at position k can leave the active set: it sits at a bound and its
    /// gradient says it will stay there.
    private func canShrink(_ k: Int, _ gMax1: Double, _ gMax2: Double) -> Bool {
        switch status[k] {
        case .upper: return y[k] == 1 ? -gradient[k] > gMax1 : -gradient[k] > gMax2
        case .lower: return y[k] == 1 ? gradient[k] > gMax2 : gradient[k] > gMax1
        case .free: return false
        }
    }

    /// Moves the variables that can be shrunk behind `activeSize`; once close to optimal, first
    /// un-shrinks everything (once).
    private func shrink() {
        var gMax1 = -Double.infinity  // max over I_up of −yG
        var gMax2 = -Double.infinity  // max over I_low of yG
        for k in 0..<activeSize {
            if y[k] == 1 {
                if status[k] != .upper, -gradient[k] >= gMax1 { gMax1 = -gradient[k] }
                if status[k] != .lower, gradient[k] >= gMax2 { gMax2 = gradient[k] }
            } else {
                if status[k] != .upper, -gradient[k] >= gMax2 { gMax2 = -gradient[k] }
                if status[k] != .lower, gradient[k] >= gMax1 { gMax1 = gradient[k] }
            }
        }

        if !unshrink, gMax1 + gMax2 <= tolerance * 10 {
            unshrink = true
            reconstructGradient()
            activeSize = l
        }

        var k = 0
        while k < activeSize {
            if canShrink(k, gMax1, gMax2) {
                activeSize -= 1
                // Fill position k with the last active variable that stays.
                while activeSize > k {
                    if !canShrink(activeSize, gMax1, gMax2) {
                        swapIndex(k, activeSize)
                        break
                    }
                    activeSize -= 1
                }
            }
            k += 1
        }
    }

    // MARK: - Offset

    /// ρ: the mean of yG over free variables, or the midpoint of the bounds the others give.
    private func calculateRho() -> Double {
        var freeCount = 0
        var upper = Double.infinity
        var lower = -Double.infinity
        var freeSum = 0.0
        for k in 0..<activeSize {
            let yG = y[k] * gradient[k]
            switch status[k] {
            case .upper:
                if y[k] == -1 { upper = min(upper, yG) } else { lower = max(lower, yG) }
            case .lower:
                if y[k] == 1 { upper = min(upper, yG) } else { lower = max(lower, yG) }
            case .free:
                freeCount += 1
                freeSum += yG
            }
        }
        return freeCount > 0 ? freeSum / Double(freeCount) : (upper + lower) / 2
    }
}
