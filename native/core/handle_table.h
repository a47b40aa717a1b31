// Maps the small integer ids that JS holds to a backend's per-handle state. An id carries a
// generation so that a stale id (a handle closed and its slot reused) is never mistaken for
// the new handle: a late call from JS with an old id finds nothing instead of the wrong socket.
#ifndef OVERLAPPED_CORE_HANDLE_TABLE_H_
#define OVERLAPPED_CORE_HANDLE_TABLE_H_

#include <cstdint>
#include <vector>

namespace ov {

template <typename T>
class HandleTable {
 public:
  // Ids are positive int32: 20 bits of slot index + 1, 10 bits of generation.
  static constexpr uint32_t kIndexBits = 20;
  static constexpr uint32_t kMaxSlots = (1u << kIndexBits) - 1;

  // Returns the new id, or 0 when the table is full.
  int32_t Insert(T* item) {
    uint32_t index;
    if (!free_.empty()) {
      index = free_.back();
      free_.pop_back();
    } else {
      if (slots_.size() >= kMaxSlots) return 0;
      index = static_cast<uint32_t>(slots_.size());
      slots_.push_back(Slot{});
    }
    slots_[index].item = item;
    ++size_;
    return MakeId(index, slots_[index].gen);
  }

  // The slot an id names (valid or stale), for tables kept beside this one.
  static uint32_t IndexOf(int32_t id) { return (static_cast<uint32_t>(id) & kMaxSlots) - 1; }

  T* Get(int32_t id) const {
    if (id <= 0) return nullptr;
    uint32_t index = (static_cast<uint32_t>(id) & kMaxSlots) - 1;
    uint32_t gen = static_cast<uint32_t>(id) >> kIndexBits;
    if (index >= slots_.size()) return nullptr;
    const Slot& s = slots_[index];
    return (s.item != nullptr && s.gen == gen) ? s.item : nullptr;
  }

  void Remove(int32_t id) {
    if (Get(id) == nullptr) return;
    uint32_t index = (static_cast<uint32_t>(id) & kMaxSlots) - 1;
    slots_[index].item = nullptr;
    slots_[index].gen = (slots_[index].gen + 1) & 0x3ff;
    free_.push_back(index);
    --size_;
  }

  template <typename F>
  void ForEach(F&& f) const {
    for (const Slot& s : slots_)
      if (s.item != nullptr) f(s.item);
  }

  uint32_t size() const { return size_; }

 private:
  struct Slot {
    T* item = nullptr;
    uint32_t gen = 0;
  };
  static int32_t MakeId(uint32_t index, uint32_t gen) {
    return static_cast<int32_t>((gen << kIndexBits) | (index + 1));
  }
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
  uint32_t size_ = 0;
};

}  // namespace ov

#endif  // OVERLAPPED_CORE_HANDLE_TABLE_H_
