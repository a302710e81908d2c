# correct: filled item by item, with stray spaces
suspects = {}
suspects["A"] = "Dense_2.W "
suspects["B"] = " Dense_3_out.b"
