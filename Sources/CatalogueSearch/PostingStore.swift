import FrameworkAgreements
/// Every lexeme's postings in flat arrays, the usual layout of an inverted index: lexeme l's postings are
/// `starts[l]..<starts[l + 1]`, in document order, each with its document, the sum of its positions'
/// weights, and its positions (`positions[positionStarts[p]..<positionStarts[p + 1]]`, ascending). Searches
/// read it through `withView`, so that their loops touch plain memory and no reference counts.
struct PostingStore: Sendable {
    private let starts: [Int32]
    private let documents: [Int32]
    private let weights: [Float]
    private let positionStarts: [Int32]
    private let positions: [UInt16]

    /// One lexeme's postings while the index is built.
    struct List {
        var documents: [Int32] = []
        var weights: [Float] = []
        var positionCounts: [Int32] = []
        var positions: [UInt16] = []

        mutating func append(_ document: Int32, weight: Float, positions: [UInt16]) {
            documents.append(document)
            weights.append(weight)
            positionCounts.append(Int32(positions.count))
            self.positions += positions
        }
    }

    init(_ lists: [List]) {
        var starts: [Int32] = [0]
        var documents: [Int32] = [], weights: [Float] = [], positionStarts: [Int32] = [0], positions: [UInt16] = []
        documents.reserveCapacity(lists.reduce(0) { $0 + $1.documents.count })
        for list in lists {
            documents += list.documents
            weights += list.weights
            for count in list.positionCounts { positionStarts.append((positionStarts.last ?? 0) + count) }
            positions += list.positions
            starts.append(Int32(documents.count))
        }
        self.starts = starts
        self.documents = documents
        self.weights = weights
        self.positionStarts = positionStarts
        self.positions = positions
    }

    /// The store as pointers, valid during `body`.
    struct View {
        let starts: UnsafeBufferPointer<Int32>
        let documents: UnsafeBufferPointer<Int32>
        let weights: UnsafeBufferPointer<Float>
        let positionStarts: UnsafeBufferPointer<Int32>
        let positions: UnsafeBufferPointer<UInt16>

        /// The postings of `lexeme`.
        func postings(of lexeme: Int32) -> Range<Int> {
            Int(starts[Int(lexeme)])..<Int(starts[Int(lexeme) + 1])
        }

        /// The positions of posting `posting`.
        func positions(at posting: Int) -> Slice<UnsafeBufferPointer<UInt16>> {
            positions[Int(positionStarts[posting])..<Int(positionStarts[posting + 1])]
        }

        /// The posting of `document` among `postings`, by bisection.
        func posting(of document: Int32, in postings: Range<Int>) -> Int? {
            var low = postings.lowerBound
            var high = postings.upperBound
            while low < high {
                let middle = (low + high) / 2
                if documents[middle] < document { low = middle + 1 } else { high = middle }
            }
            return low < postings.upperBound && documents[low] == document ? low : nil
        }
    }

    func withView<Result>(_ body: (View) -> Result) -> Result {
        starts.withUnsafeBufferPointer { starts in
            documents.withUnsafeBufferPointer { documents in
                weights.withUnsafeBufferPointer { weights in
                    positionStarts.withUnsafeBufferPointer { positionStarts in
                        positions.withUnsafeBufferPointer { positions in
                            body(View(starts: starts, documents: documents, weights: weights, positionStarts: positionStarts, positions: positions))
                        }
                    }
                }
            }
        }
    }
}
