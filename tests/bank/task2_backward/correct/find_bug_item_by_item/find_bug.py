# correct: filled item by item, with stray spaces
suspects = {}
suspects["A"] = "Dense_3_out.W "
suspects["B"] = " Dense_2.b"
