/// Binary search over sorted arrays (latency logs by arrival, histogram bounds).
public enum BinarySearch {
    /// The first index whose element satisfies a predicate that is false then true along the array; `count` when
    /// none does.
    public static func firstIndex<T>(in array: [T], where predicate: (T) -> Bool) -> Int {
        var low = 0
        var high = array.count
        while low < high {
            let mid = (low + high) / 2
            if predicate(array[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
