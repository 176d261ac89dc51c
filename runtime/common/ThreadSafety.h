#pragma once
// Clang thread-safety annotations (-Wthread-safety, checked by hack/thread-safety.sh) and mutex
// types that carry them. libstdc++'s std::mutex has no annotations, so clang cannot tell that a
// std::lock_guard holds it; fro::Mutex and fro::MutexLock say so. On GCC every macro expands to
// nothing and the types are thin wrappers over std::mutex / std::unique_lock.
//
//   class Queue {
//     void push(int v) FRO_EXCLUDES(mu_) {
//       { fro::MutexLock l(mu_); items_.push_back(v); }
//       cv_.notify_one();
//     }
//     int pop() FRO_EXCLUDES(mu_) {
//       fro::MutexLock l(mu_);
//       // The predicate runs under the lock, but clang analyses a lambda on its own: say so.
//       cv_.wait(l.native(), [&]() FRO_REQUIRES(mu_) { return !items_.empty(); });
//       ...
//     }
//     fro::Mutex mu_;
//     std::condition_variable cv_;
//     std::deque<int> items_ FRO_GUARDED_BY(mu_);
//   };
//
// Guide: https://clang.llvm.org/docs/ThreadSafetyAnalysis.html (the macro names follow it).
#include <mutex>
#include <shared_mutex>

#if defined(__clang__)
#define FRO_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define FRO_THREAD_ANNOTATION(x)
#endif

// On a class: it is a lock ("mutex") that the annotations below can name.
#define FRO_CAPABILITY(x) FRO_THREAD_ANNOTATION(capability(x))
// On a class: an RAII guard that holds a capability for its lifetime.
#define FRO_SCOPED_CAPABILITY FRO_THREAD_ANNOTATION(scoped_lockable)
// On a member: read or written only while holding `x` (pointee for PT_GUARDED_BY).
#define FRO_GUARDED_BY(x) FRO_THREAD_ANNOTATION(guarded_by(x))
#define FRO_PT_GUARDED_BY(x) FRO_THREAD_ANNOTATION(pt_guarded_by(x))
// On a function: the caller must hold (REQUIRES) or must not hold (EXCLUDES) these.
#define FRO_REQUIRES(...) FRO_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define FRO_REQUIRES_SHARED(...) FRO_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
#define FRO_EXCLUDES(...) FRO_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
// On a function: it takes or gives up the capability (no argument: `this`).
#define FRO_ACQUIRE(...) FRO_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define FRO_ACQUIRE_SHARED(...) FRO_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define FRO_RELEASE(...) FRO_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define FRO_RELEASE_SHARED(...) FRO_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
#define FRO_RELEASE_GENERIC(...) FRO_THREAD_ANNOTATION(release_generic_capability(__VA_ARGS__))
#define FRO_TRY_ACQUIRE(...) FRO_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
// On a function: it returns (a reference to) the capability `x`.
#define FRO_RETURN_CAPABILITY(x) FRO_THREAD_ANNOTATION(lock_returned(x))
// On a function: from here on the analysis may assume `x` is held (checked nowhere at run time).
#define FRO_ASSERT_CAPABILITY(x) FRO_THREAD_ANNOTATION(assert_capability(x))
// On a function: not analysed. Use sparingly, with a comment that says why it is safe.
#define FRO_NO_THREAD_SAFETY_ANALYSIS FRO_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace fro {

// std::mutex, annotated. native() is for std::condition_variable and other std APIs.
class FRO_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() FRO_ACQUIRE() { mu_.lock(); }
  void unlock() FRO_RELEASE() { mu_.unlock(); }
  bool try_lock() FRO_TRY_ACQUIRE(true) { return mu_.try_lock(); }
  // Tells the analysis the caller holds this mutex (e.g. inside a callback run under the lock).
  void assertHeld() const FRO_ASSERT_CAPABILITY(this) {}
  std::mutex& native() { return mu_; }

 private:
  std::mutex mu_;
};

// A scoped lock of a Mutex. Wraps std::unique_lock so that it can be handed to
// std::condition_variable::wait (native()); unlock()/lock() give it up and take it back inside the
// scope (e.g. around a callback that must not run under the lock).
class FRO_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) FRO_ACQUIRE(mu) : lock_(mu.native()) {}
  ~MutexLock() FRO_RELEASE() {}
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  void unlock() FRO_RELEASE() { lock_.unlock(); }
  void lock() FRO_ACQUIRE() { lock_.lock(); }
  std::unique_lock<std::mutex>& native() { return lock_; }

 private:
  std::unique_lock<std::mutex> lock_;
};

// std::shared_mutex, annotated: exclusive writers, shared readers.
class FRO_CAPABILITY("shared mutex") SharedMutex {
 public:
  SharedMutex() = default;
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;

  void lock() FRO_ACQUIRE() { mu_.lock(); }
  void unlock() FRO_RELEASE() { mu_.unlock(); }
  void lock_shared() FRO_ACQUIRE_SHARED() { mu_.lock_shared(); }
  void unlock_shared() FRO_RELEASE_SHARED() { mu_.unlock_shared(); }
  std::shared_mutex& native() { return mu_; }

 private:
  std::shared_mutex mu_;
};

// Scoped exclusive (WriterLock) and shared (ReaderLock) locks of a SharedMutex.
class FRO_SCOPED_CAPABILITY WriterLock {
 public:
  explicit WriterLock(SharedMutex& mu) FRO_ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~WriterLock() FRO_RELEASE() { mu_.unlock(); }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  SharedMutex& mu_;
};

class FRO_SCOPED_CAPABILITY ReaderLock {
 public:
  explicit ReaderLock(SharedMutex& mu) FRO_ACQUIRE_SHARED(mu) : mu_(mu) { mu_.lock_shared(); }
  ~ReaderLock() FRO_RELEASE() { mu_.unlock_shared(); }
  ReaderLock(const ReaderLock&) = delete;
  ReaderLock& operator=(const ReaderLock&) = delete;

 private:
  SharedMutex& mu_;
};

}  // namespace fro
