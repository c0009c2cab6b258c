/// Rank-based correlation: Spearman's ρ, with mid-ranks for ties.
///
/// Ranks make it insensitive to units and to monotone rescaling (a latency in seconds or milliseconds, swap in
/// pages or bytes give the same ρ), which is why attribution uses it rather than Pearson's r on raw values.
public enum RankCorrelation {
    /// 1-based ranks of `values`, tied values sharing the mean of their ranks.
    public static func midRanks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && values[order[end]] == values[order[start]] { end += 1 }
            let midRank = Double(start + end + 1) / 2
            for k in start..<end { ranks[order[k]] = midRank }
            start = end
        }
        return ranks
    }

    /// Spearman's rank correlation of paired values (Pearson's r of the mid-ranks).
    ///
    /// - Returns: `nil` when there are fewer than `minimumPairs` pairs, the arrays differ in length, or either side
    ///   is constant (the correlation is undefined, not zero).
    public static func spearman(_ x: [Double], _ y: [Double], minimumPairs: Int = 3) -> Double? {
        guard x.count == y.count, x.count >= max(2, minimumPairs) else { return nil }
        guard !x.contains(where: \.isNaN), !y.contains(where: \.isNaN) else { return nil }
        let rx = RankCorrelation.midRanks(x), ry = RankCorrelation.midRanks(y)
        let mean = Double(x.count + 1) / 2
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in rx.indices {
            let dx = rx[i] - mean, dy = ry[i] - mean
            sxy += dx * dy
            sxx += dx * dx
            syy += dy * dy
        }
        guard sxx > 0, syy > 0 else { return nil }
        return min(1, max(-1, sxy / (sxx * syy).squareRoot()))
    }
}
