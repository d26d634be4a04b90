"""Small helpers shared by test modules."""
import threading


def run_concurrently(n, target):
    """Runs target(0..n-1) in n threads released together; returns their results in order."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def worker(i):
        barrier.wait()
        results[i] = target(i)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
