/**
 * Known-answer vectors for the ML-KEM-768 and ML-DSA-65 wrappers (src/security/pq.ts), embedded
 * so the validator needs no test files at run time. Taken from the NIST ACVP FIPS 203/204
 * vectors in test/fixtures/acvp/ml-kem-768-ml-dsa-65.json (tcIds noted below). Long outputs are
 * kept as SHA-256 digests of the expected bytes; inputs the wrappers need are kept whole.
 * Hex is lower-case; base64 is standard.
 */

/** ML-KEM-768 keyGen tcId 26: seed d || z gives ek and dk (digests). */
export const KEM_KEYGEN = {
  tcId: 26,
  d: 'e582b7d75e6c80b05ae392a1fc9f7153b12390fd99930368cc67a768baebc8a0',
  z: '1cdacb8740c0b87c4a379575f187b367cbfa3b300bf591b109f79816e9cbe8f0',
  ekSha256: '4158f6afb5e516c99f1da07da8c651348422b17c1f4e9a08ad73fb1f91249b3e',
  dkSha256: '7aab35839207f72b310abe36e2daa1cc7ff6f7fa8941e439967cd47d9b437079',
} as const;

/** ML-KEM-768 encapsulation tcId 26: ek and randomness m give ciphertext c and key k. */
export const KEM_ENCAPSULATION = {
  tcId: 26,
  ek:
    'nGg5NUCGkZvHuKVH/xi1Iwdf0XBoVkAJUkieTNE+2LF6gXowduCUe4YOyVWL2dPJTfVBinpzAXY5mcCZlnFc4yqs/vdnpElpkllJ' +
    'zJuBIMt4lTvPb7goJCfLP0y7xQqyMnRJOoun5cCQiBYP2nMbVZgIZ5ErrFMSWycHO7UCr6xedJc+DzYB3FDOCMx/P6RM4zGkP5Zz' +
    'vnRSleaTB3JkqOI48KkSwKWcRNVh4qi9gxVB/oabMRCwURANs1F/h1EOythlHOSZi7ZIACukGlNR+ipO2UpYy3ByFKWfiHYXbPgv' +
    'zrmTZJccfAiW6LYsBURGP/EBmDwgRZgczZFz6zO6GEg+2RW9EeqVDbOoeHwQUmMkLjpkx0i4saWUeIDFvziW4ItLmRajn9cML/i9' +
    'BBorGOJR0WonbjgQCmE+qWqGyzZS3Mg/LTHNn4t55CVBpmdS0ZFDbPW12DUO54Nc2xIoVTksHaXDP9oSrRAo8oBoYaKrnGN4X9Ee' +
    'IgNGMiwlCTargZJUc0qNySQZcayQzaZpatuQ0eMn3Jd4QaujgyTI+yCSeElCADoICOVUbQNFkvA7rMGeMTjJBwzOqAqTPVNsSeR3' +
    'EJGvinAgfUdFdMZLnxyORyJBdAYRF+mMGIl6exs8RHjGVYwyGomoS2xQiUfLYciSBPvKQ7yqHWiPdosC5Qur6/DF+4lisjVZc8QZ' +
    'P6kuDOS5+Ec+FUgoyYa/Y+HNmFxvBGLJtDdFlNImxembioRJeNuN0oOeJxOKrPdekXY1zsS0B6VPGEwi9imBufRVL7M0/yt/9otH' +
    'D9YbmTwyWBzA85iBpaanaaYCl/SwV5rL9SqKuxQ4hYhiRcomNuIEmJWeTyhXq5ZwbmQJxBZLqIxxk+Vo5ERhICFabYSZxrS8VZYo' +
    'qfSBx9tR4uEN8fQzmmR7TMwEBbefcKkMqaitB3iSIrpuZsOv9CthuqY3rxUSbIiy4hCnytnLCMu1Ejp/m7StY9quprQ/mqulYSEo' +
    'I8uJimdslnstZPS2MzQ5+Jk717GWhySJJuB3qXAEMaWRV7lmjuAittMTQ/FcCPFEiId9+zClUsBvlqFvNUuaPxkJCzKgQ7QyVrpb' +
    'EIi1akElWIyHRtQJnqIcTzOtjFx8Miht7iynb8JlHVeu6dhHgkrGCbW/1chzFsKv4OFT1jJq+JmH7LcM8KCnf6AA4OCswmheIxdC' +
    'nDp1E/Qoc8uY9mlwOukUaRkibbWNbCuTtvUMfNq2d7UFlFoPJSOIbBuCpqfMfrqSUQltiDYNfvZHOsvNNZoNIEFLlcIJskE7FIOj' +
    'oGE4Y3eyjjiWvNjF4mkmgcyAPhaU77bONTCC/8pAeeqbt7ICW8tomQRm7SgDqxFRbYAyXcTN49qeAgZT4ITEX4N8iHEd86pgdXQc' +
    'EoMSHIscaRATlppislY+VWIGzwgQhIaRx8QI0BhhenMArZQ+GJqbRFEu8TtmmDE5LxMp4qx8YjqgRCIweRObfxwhPpNoLthhZUaD' +
    'd9QIhDEBY6VTnyd0XmZ631BolrqTOwAuTVCySX7P8J0LvKT35vnbnhDGQ9I3Ab1jheFjz3HB6Rmm4go=',
  m: '4e77596168711e913965d8175ac3bd76aab08b7f9385a02ae883cf6c6e17dd81',
  cSha256: '6aa5618fa7e32446603b9b828f0367fde929305f422d29fbbd5e36e98c94f07c',
  k: '79d74f6c6c2d916bec47bd828fd9b67295a37f54927fab1263c0d122f1c6f1ed',
} as const;

/** ML-KEM-768 decapsulation tcId 88 (modified ciphertext): implicit rejection returns this k. */
export const KEM_DECAPSULATION = {
  tcId: 88,
  dk:
    'XeF7WlltFTkNVpVUHLA/rkBz5gHHVXiUqzQfwxmCu6DJLgS63SqCb9wWbnKvKDhwP+lPh7q2TNlxh5truMhKUsMYg0xGrhAoy4Of' +
    '2RJ3NxTGUdut1ppzI+EZMFm9R5mxT1zCypIhl4Czvvq2XJG2NwI7S6pKY6N9gyQDk0QruThrYlqXelOIq7Q1+zRT40YzoLgD7Ci+' +
    'aRwlj+YQNkuJVXx4CTV6TGkZJax9S9JiH3ageksms7RaEJlX1uI26DWScfi0/AVK8FFY7WAmFAVD8tkFzBRMNDbJZukuiaokiFwE' +
    'Tso2EJIcsaUI5xsqP5eeCjPB7bYcIwMFeELJN0U5BMgPRUK/XbiGY2yLw5LLqLdK/SELPTQAtyV+osKrA9V3yVFw1cd3HFS2P5xg' +
    'MMtvAvlRZQLEeAAq8brC4RtY7CAJ+whaqLSMUdSxM3VnnndCy5dUixuIYSFuO3ORRkh0BUZsy+Gj6+ucZVMBPMhuoPss3+i7k+OO' +
    'Zrdir5epitF7b2sa+pNaULw+cVQimQRXj7kNBwMOqHFqGvnHh/eJ1LIXRnMTECEJKoQUXRg0IezKNhQvQxZhTCABuzPOBEwlfrWS' +
    's8V/p8t6PhrCTaCMFaWgrzGQD7IUe9g9pNWLaqWhCWCNU7CoaqExR0Nab9utkmu2W4Ow32xDKvJY8qxXq7Y91ebCcsUOXWrDT7pR' +
    'VzJF06BqHVk/rikkCIOIOlxbJQWLmfScpolOmsIlv0QhNTcgToJMRvlwS4nDwWpSuxM3gVgzF5aAEMhnWMW/fBkMNLi3MxuCQshM' +
    'yWJ4rlhvhHIiXnlWY7N5qTxGlkB8AFBMgQxfxJmpi6Z8CtZxi6MtQElxO2UUerEZL7RqLqcCNCOutlJqgFhfVRYQq9RXJoZOCvlI' +
    'L0mIIneEccuJXRyxqqFEQJhzsezK7PZaX1KYyraFyqChk1hJQ9y6qEwlXfNc51JjChEKmIU2yOAv8FVLVyUiHvmGFOG9q5I78iJW' +
    'eIKGm8gZrUcBRVidPXSTcjM7pZd+JmTFbHKecAW0UAVEGEZS0uFlP4E8SCnIeHpuY6q17hccGLpLDFs5lNpK9sU5nHHJEIEb2/SN' +
    'AmdzfPankXuA1sdq6hwJHJQ9HfsbbygEFNk4mOdZcXUJdwshWuuBndSxxCXN4CWXkRKfCQqxXYFIitySvYcH7fPB6+IozAHI0tvH' +
    'xwJLlrISW5Za9iaqq/y37CwaM0h8i9N0X+SceGkXLhtqjZJjLXErVohnMuSA1BAKNti4tWEHomyM9vWgfVG5ulSlLJpArUwx62h6' +
    'zURdWAEHtpSBGeVVwMNXqOC7uMYkBMRtOyMsjwpArzt6Bbi7cfBO1eq+w4C3W7tNJiuh2gfBGpWPBMtkg7RzdGLCqaNGdhwiiIqZ' +
    'IzURwxoPsct8l9aj++eK3bbI3xV11yk+mNPLodqz05OlXzxzo4uMzWvMQrMSdMu3xGrMjFaoXli9X0m3NkI7+aBQ9OXLbTlfSZYk' +
    'BGARw7Aue5igLptvtWEpjaiIPsKy3kotsKqTjGqcZ6E3NCu6WhpxkcF0EaZJ6bm0fww1IiZMOPZkN0OMe3VYh4e7A7HAc9Zos1Uj' +
    'nnUChApxg+nJ5JJwoTOZQeF3M3ktS+q+TcUKI1Gj8aoRMjSQURuwA3GtmucvRYm9Xacy6lKJLYpvmDhuZ9O4zJevYcqcFcI6l3Jb' +
    'pcggRSeGzMw0dRzPE/ctKvGgt/gfaYtbj/mizVsHbSOmIZypRXM4I2x0M2DPnooZ3IPOp/W+F9CEg1uO1wDLChydfNzE9VJrY8NN' +
    'YjdJyZkqGZV6pcCJSmI4IazDzKC5QQwPjNWXV8U4mcGg0ydzPAt/GWGwx0ud26xmLBZsX3hxQfgdGbkH6KBC/SsBeUuJaEhuafoC' +
    '/RNt7VPGpjOJmjaEQqzKSfZutHZqFiRxKMOLfgKH07uxWUMk1rHJyAo2jFkDoAgOvfbHKieqEChoWTgjSdOfnJGssGgAFSue3Jy5' +
    'ZaWsnnyKbxQ5sYsv4ZQsm5lD7oMKette7GUB9ZM2HgyVYlt0l6AqMBc/r0fHTcxOmaQ2hkpREBMLK2yABwFdHrsVwjK/kasZ3Kdx' +
    'Htl9mGN+BRoeaGsh+eqshlISm2kQLrSkygkG7JSJ2uoFTbt6+8ylxMjFEbdT6IRyJPlaP8ixKmVhTIwE71ilbrwRcKSIhvBOJJdk' +
    'EeiORCIPHOE7ukFHdeRj6YJlcraoeWJbNIqrx6ZEXpUFLHexPbOfHHGf9Ze2iKc6I9eRLDrAa2uDJBU+OytMY7NhvncmdXPF8qiE' +
    'd6JZcXeBUalrHIwwM9CkPHN4c2osr3MUPjzDSPojn3Sj3dUc8QrP14c18RNldsl3GNeCJjWyvbFZyicBSTSJ9PyLonpciRq/nXMx' +
    'bHWDJIlWv/y7eQw1GbAQAYiH/IkdmLM6piWC8NnNeQYmr+GDJpg0x0JYlJcVXFVFcGwOOXslkJsY7DxzS4JKYJXCsIQ6ChZaiHKd' +
    '/BvAMZeXlGuk49hePSCx4MseqwVH6jDEEFaDXTx4p0h/bLd0udaPfmE/Vmhxe/gUmGF/y8cw+TN3ZWyaYDM0ekrAdJN0uogH4kQH' +
    'WHiM9wVvlICTZSRghwQoFJmnsEpG+1lce9J0VosscAdEIFm/8YUXlXOVaDNLLdNRcJJjLYOZYfeisjszzDgxIXq23tCkExGPNpuF' +
    'lQetHuoBnQyCsTQRRrWNpSFTXlWQSscUW9xxdMguW8h32vqZMEnOudOsKoGVXFUIztwTMaKLzign0SegEJqFEvt4u6ws/rMamXoJ' +
    'GvYEFOY3WXo4JGhCE1iDhgVeZKUV2lpcZwqBrJcrL2zG6Cq/8RUL9ZAfsPAYb0q3buIqNjigAYyN+gR3c1fNxcZn8PgeG2qDPmdS' +
    'nHGFS7MtIGs5qzJH22GsKHQ0TYKouBgXjIWJ5UGdVYQU8/xTtygjNXsLUBONTICGTbNoWURzJ5NGf1mJ8oNYkXiZSqY7AaaNKsjK' +
    '0vOztixvWqetS8LKuvMG3DfPRkKIVfI+aYi9KyE0m8EiOoGbVEc/OXxg9tR3fdF3XjaF6tNLmhYsBiXodt0kPevmtNbhooKavfcN' +
    'EgwCw0zodr7BenJDF4JtF7C2K1/RiKt4nz5RFyQoFGoFl40iqYZCw65AA1cadhaDkvcv37QVUQ8RJci/X1R0onJ3txFHyeunHKua',
  c:
    'xP8DNO6eAbBAFMpX/TwfAva0+pFJCGT+e+PzYBoLqHeRxzrFpUCX+/TCGoxQUaXqijIVCsf03aWSgK/Pk4trXnoCMjXCqjMM3AqX' +
    'bFOHvx6SrpydGVQ2kEzJpPnX8vyQMXlXuXRKb0J4vEgJS/4myaoJyv4NfY4fwEQWrSfDfpUNvPtpam+buWMl+Z1xQ3cOn0XB4BG/' +
    'a55VDyjo3BUdVhoLMEix/MB7Lr4HkKWJoWx7x1//TNyQ37VxvNDc4A3K5UlbVPZogVSKD9vRuQ5Smtf6KSGHQIjJavj7mcf2IVYO' +
    'zGaRxpqNAjItZx9n1nxmO7qbC6RReY7vssFIMklhwUVzcyVzH9a4ODE3QAQJR4c355LwcqDtLn9DdozRMuzNu7OTrENZNNH7itwX' +
    'VR08Kh2dtMIFiI9YtjDIDyyY7aALfm8uPgxtQSSGaWTJi9CG2qEmIVqYKTlXxq1ocksr0OTPVaRf7IwDYis7NY0/tFthnTKG5de8' +
    'Qp2eBjQrOEhXZ7yhiYaRIItHhqMli+Lpprtasux7jPN1K9wOTmdn9eRtciG8jovWnzbxsUxvSxUnK3gMGPoRiqxSo5CijohidzeJ' +
    'ETNxzc79xLRVR75fJqm8MVH8uH/ZxQqZz0M4ViAjoVsThgr/narAWiQJg0wLaO46Y1JhBTVGQH6M+nUEb1WXitmyr+zIp501uDSe' +
    'CjP5DyOtZkh2H0ACKNg/oiNm8NJhOBS1BcKQafqPPLC2FD3puvTp39rytgbMV30G0rMnlMQRmfBlF6R1MT/J+dQzCZ/HsxDJn7qh' +
    'MggrBcMysAyzhx0tzGD6M/iVYHS4eiweTqZglnDw6B39da2LaN3JEhcSeTBlnGop4HqeUQKQjiGPEB1f7sEfnD51njgedDefZIwp' +
    '9wM7tYr8plkPD4T+5UUQp47RJSjJYKk6aR/xZn4xnWQfl8Fs8dRTmdqgO9XqFcgG8Z1OdZ1kH+EHFEnPThPHDRxY0iZdU+sHpcvg' +
    'Es+f1naCIdJ+adcnr2V+IVFZMgeQnRyhGoyW4szKCVw7uBHIfr4U6ZX/t/djtH7Q7rYEoMzNdKsMKd/P47RiD16Os//XSum8emtI' +
    'rkZR1DCHHUZR5kwrL75XAeLGTiD1J5FXtV4+nRZsrwP7rvJHLpYNGgFgqS9C0YNLXUk+UunQiX2/qjcyCOrcFvz/POiuQCJqRpq8' +
    'YLmhtnJExa7r8auuz+ndn5wRg/El07YXKvssbMKRJan4w6izH6iA/ER3GcXljFDEGZ4X75oGHqtIO7/jcPJ3ucoJs+Pm/znpeuOS' +
    'wO8LYj+b4FbbTSHncEtRJ9Qvf+on/qj5GGBE5J0sLVF1gynIyrNbAN9YyRpeL2/G+q/NIDe6mCBS8C8gRQjJssfW71OVU3IBD7NQ' +
    'XIyOJ2d+837we9YZNCqj+m3jHrfmCJ718L+cSusCT5FhiXkGxkM=',
  k: '2cfb695710a6c4377f46c20c13480aef7ac56030d47a0ab5af07ddd6062c28f4',
} as const;

/** ML-DSA-65 keyGen tcId 26: a 32-byte seed gives pk and sk (digests). */
export const DSA_KEYGEN = {
  tcId: 26,
  seed: 'a991fd42b071d49c48ae3e75c647459e0daad1e1ba356a04801912d3294bcff8',
  pkSha256: 'b1a7d0d2f0d7a04b9d5ffccd9bd578864dab4a01cdd7f70a05cd1f4f0672e43a',
  skSha256: '56c53ac82fbff7d81b7a8cfbbc73011ceccad677e16dc53f2ece66d49aa11edd',
} as const;

/** ML-DSA-65 sigVer tcId 43 (external, pure, with context): a valid signature. */
export const DSA_SIGNATURE = {
  tcId: 43,
  pk:
    'jLH3CxZ0xMeMRkkhiofDTendPp+RMMTXWU5+3JIlj/7xCbsEeNu4BhLA3/MKi/Jrbl+frwuCxiNU0vqaZ3KicvRXSp6iw6YMWJX/' +
    'nioc6ir6xWA4SSrDc6/zPIyFtGJ8Q4BD49mn+c8ONzpdwQwk5Oj22HD8R2MmFDD2Rf9dwGR7ZRoL2ioMy6kYCXgRAUVNXuhB+sXa' +
    'olGV2VQtl7XfO0uCJWdj8WBJ8vzXdUnHduubtuPgei1C9xDKugQwmg90nvfXFhBh2E3pTl11u8n8WQkHnUSBTSbPuwp7JT/WqdTs' +
    'P6NM6tuk4no6funCRCd1HisgD81UlrPeENHKLz3B7+XX+qFTW/nThiSA6wbqwWqyW6n7CyyhFOwA2lGylVIOLGZ1rSoAiz7OeNpZ' +
    'o3OsyvtfzGMQa6zdp6IoxyF9XGQkHHnRcHU24BTlaN92a45v0GJbS8SY3FEGwr4TmcVlIc0xenEghIuujIeYnHE34s5CzX+HqTSV' +
    'thvdMMBmQG/Be05lMCTCyOVQnUgmCj3uUBoQ1SJRqoSum0NXfGXmMJQc6sOAmWYR90b309tGe1PDmv3OzrxSfuPYF3+scS189j8Z' +
    'Z3tBdb2x1YcTJ1e7xsYFwdjZYOFdG5MBGcd7iOOvl5Zr5XRgrez1ti/92A5wAmVFbCbmF5i/Gq3JtOn1fj4ruG+O9lKpjUFs0P9j' +
    'fhYV6GB42iNQDsbAWTODwnkmCZbfg6mevwGKqLVa3KLkVF3zf1XFj9ojAIIBoHWNrkqSwUYqvW/dMv6ufLidU8K2vFvZDUG7vs2D' +
    'mQe8hbPhINKStLqPQ8MJDW2xSpgMW4Ka62r+1wujLpFZ+DzI1sKqwbssx4HXwIXM9QNdyboE5eHIdBzIDgTaDhtDhIkJ7Wj7A6QU' +
    'qPtfGa8FrF3XLX7wRW6SmyrXD81xhWPyXOqIrHM6GrDsryhu4fbdQ9pcptp4TrZIwLL2ji8IhEYO88E0V6+AtumZqfXdMuLLlURc' +
    'zTpRgIUc6WINRLiknFD86tMyrvyZmMy0rIisP4T9v8KfU0Qlh1Qt8BdL1WPfprXjsFCDHgZDto3oYbfMQnOu4L/ZONTfNnXeB1pA' +
    '+3YOSAx1Fs5mlf1Elray/WMU+d/xXgWoQUw6POsPwTInCRNIkAZRKUC1Y+/xwqLhrHqSJW1kfj+bSu7GjqlRa0ovKplz984vKfK/' +
    'rfE8TzyN56KNen9RteyYjtKbKly61g8lxq8gvtBJOM5/uqDrNQEKveIqHiInshawucmPyzZGeDp279WEpEGf+5gtl+neiFQOiICv' +
    'mDZqTuBiwW7RlYKXUuwBS28RpGM91xLYfngiaKtuD0960ZfVdgernmxsQ0iyXXN+uZRClfrJJ4e6Ox6Fv5JkwkMxKQhLYiUo4G6C' +
    'v24CyLnpQ2szrVbugAVokKeIRtugOKblGKWRICZykm81Am75QcBIpx2HVHgXc0yqwCprxCD5IrukXXEMkZXWy6Qwp+t9AuJs1528' +
    'eGYNxdE0T6JmVxJdtadoizAS+CWDAOyBF3fP1fe8PIozKtnrs1EwBjO+ZosAsy0jkMYQ2NgDDyPuUPL3M4dcPtInaZ/onogHgq9y' +
    'YCdSCK1iNVYeoE+6zLdYS9NPSabunBrPktJ+uXu08B8dbZIgzeF8DYwstAEOrDNZdIPSbcvRlH16LbeS3uMc4nSJodfJXmtwlqvM' +
    'zbYQ8KuAC6nGOJ7ByDCj5MLBiolDn7dXnTKCpedGIwjIWMTK57yKPq3WYSIdtLE10J3c9KKxZdRhR7gQzCihxXj4A0XSUz5Lh9Tj' +
    'zIkqxbQguUQhBFIqytWfz/iiRTEqTRgxFIrVGoLhYb6ZhVv5eg/7m3KYZKw9FjOBPUAI93K4gaorZ6ofzMWFTJS/b8hiJULjK9xk' +
    '+6NjnlWiJh9a/gcg/GxE9UMb92bgp7VjA/kf2Y5N3j7hImhAKX5vycAT4ovnLBguitC7ImtzqsjE60lyevE1XzI2s67XMgEAdN9u' +
    'eemUNtw6+dV41+ilNTpqlRH2AnOLoMAGkwTP5lS3LDjQWT9sot+ynRK8spNTeN5tD7Xz4QlHz163BH0MkquoRFN0/zXu2S+zPuyY' +
    'ODe4PWZua5SQLN0AdHu0Z+aUGAGd3KPuxRamlSNkHTPZer4/PS1KF7xSqb/dfMzcFWMAOIo11RxaDT+nhAp/PKwf9EYN2Jn1il1L' +
    'pqllxjfY69wEAnkXsqMPa3Zq5q3FdOtzjUlij99I0/U9Eb0VhxEnJJx9QwWK1sTjHyLcu1byZ2gVIt3JbyvKDuvkG2Lu5Z9Iu1xs' +
    'c50ndsV03/C7FS1cQgJe+lHmEPM5pwdyymh3JnGc2aqf7yat7T7SrFLikaooMJ2URpMzBbabNWD3/sraMYcuTqk7lJnQWtU73lPR' +
    'laGNHXqeK5lTnqO7oex62bz8k+l83fTKOSvynkJ4qBTJIq28iEhpuLArAX3DFhrslP0ztbtMaQD4jnkaAviYqqe/z/xymXSj6j4W' +
    'e/fOcoE1Pr3/AfWWhqSo+rjQO2ej15Hz8SZg/kX6oz3TRcBACB9pA/H5H+g2RA0PfzsD4c5H7TUFz24ni74XrVuUqXTyS1+mxDV/' +
    'Pic=',
  message:
    '3a5103959f0daf780cfdcde33a4de0b67f988a8deaff5153bd8d029cf0a7ddc680aea1938b951d5472652e0fa5c67a45c8a9ae3bb3eddbdce58e2bbd6221de3a0d73aab593a9602ed33e7ac6db37e2e94a64becfe2ea3a2a63353debc4f092ec2b0a4687afc4aa87789025ed183f11237af0aef50e094454fa59793e30d9bff82b9205ed5a5cd9f85accd8263f3484dd736ec584e9be7f30f7a1e488bd055351b764229c1c85',
  context:
    '339a8d7a51fc155e69fd1dc3feb136a98775c4008cb767f66e04b5732c2332b04b2f4e4a991b702606fc8c60c07145bc0b183f5040979182e42795c2221c5bf55ede34436d42c2c6c605981e3a4c1d04c7d78f8719918e8073bc8c5be2372b9e1ac7adde760d949ba058e2ce18053f718278fa4eba76bc0cbcaa5102de621fa8d3b02379be9f7dc2264afed69d4b2bc4be6abd02e0',
  signature:
    'mtG2W7/COJDkWq+hW3hAp7rAwhAjbgXcSNfowC3rpKLzhi2Da67bJV34jKr68XCn3VB+n1r1vRB4Twvd/YzJdJ1FIcR/sRnAAsDL' +
    '1OqEaWVfqzPWZNEu/JZOo0BVxNLCt/YetbLz7LL+jeXuiM0iQowO/zsjWCY20OWGBShoL6C5U8bjBMNEowZNRPW3J35P+fpNHbVH' +
    'akIqOr+IzqX/lstnSXJUID1hRvacRJuxoODcl64ESq72exwKpbZUcgTH26a48F81mUkGCjKpZRWbwp6mFQPgugqrY4eB8UjF7gls' +
    'mRzMwLDyfy/60dnr93Gbd6OWlkCd4p2O7LEJrWtyfAHLr38kKX+vAVLrDdX9YMJGrWPcEXG0WyEoohA6mKVrC5RZM1DNpf2/IvJL' +
    'L3uAsYuub4fgpATX3afpvZfl5vlJ+8qRFmbYBvJgHvnd/4fOQY+i5zHo6NP9AOvudaSh3cAjZAX0Uf7Qq8GQn3goIfVhy7r+COkz' +
    'HXWFQw74TnxDBRNz+B2qb9a1QJDj5nkndjKlpiZp5dWriNWMU3L7C0QglT9KatNCZfVhXCBo/7oagZECZ6wArQDzDDJQoguF6+VO' +
    't68hdfIOWssd3i6UPUQHN+wlt/Km9LqNYca0drSBUSA8wT5IlgcMlLFOUiYt/AEGN8t006hA1qm9oEwcSoiPKVCtTt//MFJayjuf' +
    'EPm5g+OaS/bKhz++Zfpy5n4TceLMb37q691xMsIixvQkPYXGBd6Acehiu7v76CWONLOT0X7vMUK+Ps1ZMrHYS2XYTR7j/b93HBwJ' +
    '8N8S4zq258lbV4jZc2n22zw/SOEfpG6rOeWxWDr8oPpXRTKSQ1bhe3tewOScF2MFqGscb+HrTseCQMdaMLplimmVnIXTawuFLsUp' +
    'pgLJnnVFBHhmLCX2Cv1Pt7yKJMRCxNpb0s2ewRsRo1zdS9xUXfCtSeA9e+vU+5msmE+DCmeXhJBablGWfmxFdfNVVRlEi1cjkeBr' +
    'GqPij5LTF0Gq0AYhML1XkgaWmh+a++Oavm4MGprf2wViYPKlpwAGTcJI2KEPwEkY1xcU6JLUF2oMOZBysULQk2dj607hnyqwX4iT' +
    'a4GLXKztWiN9ZeLhwMe0mOL8x3dUllcVgEx6/CdE4eVKlczi8G5/gwHt5ki+l9ehFSSL3g97vrjqppo7TpawpQj2jahKjMFSVydw' +
    'IclyCPowoNJ4so+UBY0TFGIx0RycF57UuJPj0Zgctvoh7l0/2lnNrdkqFx33pCptPXok0aeKQ7LJusLSAfBoA4eqe4MDzZ4ce0kl' +
    '0IMJwnMubiPhOatAKjeHt3wVY3Io8Fa3P9GOFgCeWM7gLMpFSB85pdhLquwKPvfTDWpEvV3SsOziczyJAuz8Z1wAmCnGflZ20wbk' +
    '7K5KxIquosrY7AZxhfOw8zMEw28EwYlr1kqBs20/dhDOrtSyIr0k+Qk5474YORLU0V0bXJ4RJWaHJ2Wo7fEN5rd/T+firoUBL37M' +
    'Vgv0LuwRv7oORdkMG/7Tsxc+J6oTT9MdQvyitmF9VTriskfIwQT0NtOJG/IscJrIbPmuOi1aH/24TlpxrEh/jMSrHfR6J3yWJz2K' +
    'vvY6VF5wKoJ3HQVqichEtm4W+Gc2SpKLHiPxqpj4rcYPPnNPYqFjT7AmbqaUTJjlZtl0OOJd51L4+avYwdUVoRQH1qBM6vXx99wL' +
    'lP+d7x/RfG4ZVlWZJ0pc9SYjV/yj5jW8/SLGnufgxbMykltfU+9QAtT6eErxXDz7m2Z7fqhmBXxZVCwch/AV/aRnCF5OLTcPjra8' +
    'bI4c8jLCyObTDQ+UOa4Fmfo16eCg7ZPZBWK/oS2hJqEMkIofwPEckt53tzoRV3mW0GFTK9vsjYqHofgkCeKy22ITR7XsPs8fFmvz' +
    '3yQkTAOb92cUh+QZ4QmLqqVHpOOHkP2CoF2wiM51e164AO1wnR46iDA9gHm24L6/jNtjF8emLJRL/3wqYrtpY5ycLEIjpZnqTmnL' +
    'an6FkoX4J9YCvA0NZxIKYPi3kSSkHew2LYx6VNq/s10qVKhw9y2VRP2fJnYISHYwwnNRLlnizEmYxnfnTiwzB1qk3vEhicdTYKei' +
    'T/nZvipLoWMvWzJYcB9qwdIq2ybAERx/XUOB0KWy9g6mmaP9eFEGOqd3OKS5gZy95iyrhk7ZGPzHMwcwBhqoQybKbTkFP98WUKX9' +
    'e/SuZPbkmQtyXK6Pf5LBnFbQr5T4F3fbT+w8barS3+yEhVeJeUBAOtb5FKNCZOlZUjqxo6RE/8qnmiklaOQ4uUVF8Psf+spq6V/x' +
    'VdI9yX+j7g7tHdP92Hkqhs58f4KJ0oi3ksMuiLfGGrUIaODNNaGBHQT8xhxHn1SJYWMXzfh2Munc5DXdP9RoldFnkVAu9HCl4a25' +
    'DZ4g4ZDzpSe7vEoQSkjeKNWyCMUlfJQxUM9VDDbF+m40eJRuLJCiv5Fr+NLOft9vNJo40CqqXjYUn+bdFVqHR8lNRMSZxbVxcwef' +
    'yMwQ24utCGPf+ZzBP3vFplxNJ3QIdv/y77vdHyU/47Ro3CpaSJyc6mRWef4mVxeT8EL8qclDXYhjj8QnDeYP4Sf59vrf9Imygcrm' +
    '/R+ouk8kqqBbwmKmfdwZLHg0I+SkElkvLwy/TwOgRxYFvaaJTRnWHkdBlSXFQ3sL7UBpvRNcMMjyBJYkMiwdtNtvVOHMepJ+DdTp' +
    'expsKeTHp2yKqpUbtuQXRMH9U1KlliVh+bY7ZKexZ1SHsqbEVJYkjdy0u/A+xqICv677+zLwSqtYZciOBoTTay76l+qWy5Tvf8Dm' +
    '/sA5aNHyrFSWQl/JOsPh38R7cFwkfvy1YFvdjgXL6xHjzaCYtpH45xES3V7X2Ew+Am3fqpYn2rUm7WtfVfeY9Xi4xfa5RvYfEWI1' +
    'iSyisJPt+X2iMmZJfT+jxiJoV5B0vBzIuPexO9n+9DXwS+lyu4T0AX51iXHrm9oSaMVqRqMC9Ls0ZaEHegNqPDEGus2fS8fvEXfQ' +
    'NAUdLl2nZquMQYOL9rMSCANOVoZt2K/PxluOreNXQ7Isfc14frCrx32RK3+wycolEf/65F+Zm4OAsReaHxigzp4ZturnrI19eP6f' +
    'Qe+Ns5zPwjpMHacZKgz+e7kW++HMy+Hs82/6/IEhf4A+W3sz8cBkkBjMPCIJnzJTOCVbcY+4UPdxijMM+y60sU6pkDiMnI6cm2Km' +
    'YqxqMS+NK6y+/AMjZFl77Z8K4UUUSggE8r8YaUEYt69+FZ+eetIrGyGCbjyvZ525sKxytrTrUP5DuwWSgtMM6tZw+ZnTwB8fysA8' +
    'p3ADCDiizsBkZixsU9EMYBGP4KdLI2GL+5j88ifhcR2A+9wFcRHm4yA/U8sEOymU2Q9zIAD0QLLaXnxlwsEHOPU09VVi3hagPfLy' +
    'kJ5XB4qxAqX2FkuLb0OXq7UvIl0yISh8QKHrQGdlankAaiqdDcZKKdDniW/jPelMJhvRRpbxsz/xmyK8LB+QMmNtMj2Lh1PwTw3Q' +
    'mdoLMSxlp9qB1mZWhiKG3yBd2CQ5sLY884fpXJTr/EBuXDfP/Mhakw3vjrl3CrfGLK1+WP3bALcNiI6binjwNyUJ8iEVTUwtRvuz' +
    'UhuYEm92rBcd1fcelsZDGMYi7CGRZHT0m+HMPDNAZRg593xKVOAHxOgrCxMsc0zhNdVcOunFFwpVRdOwPlJDI+c+TRXcxVpxSKQl' +
    '3m8IHg896aAa7GobLxB5pDzSL0g1ktKHW6BQ2eFwi9CqGuwLcUOHErS0V98jWEAcw9e8/bv0IWKEt5VlBAVX1aZXIc+Nw2ToeWrd' +
    'c8KsDmYzxgI3C/6P/FSuZm1k7CMB7QxQoO5hz+J7NO8bjqYF4p6m7h9jSD+483vECFqysoz8Yxexa0cKM0RbB9dqSlNkl2OvoYzg' +
    'AZhVEc8GB0dKnFIGfuy5bYpVrbXuR+x2qOb+P/RXRzahTPZsJgfhTITdKM6y9dYmmljwOgN+wylcoPmW+QfIxtoODvRYOYkPgRJ8' +
    '5eGReymJMY97ZHlG6ZI48b/H3PUx/aSXKI0SbvzfO7hPJH9hGMHPsnLAYw51GKzbxmCq2LlBLUP6Rqf2P0Paz727PsA1fySdpV32' +
    'fMwPCaPfRg5gTh8D6lXMw+vTtrdm7H0zZzTkiO1VsQT1F/VhauH9hDfCJc+2gWcxTg0CWNrw3bmTWByxypQzKpe8D1ZKUlRpnqkt' +
    '2h8bexe82aZMpMWhYZ9UH0BYOqB/UiuI/oHEAlLYfPqmqd22ZhhdHFcbG9FhtpeaR7NEfHlaert112MeTN294wDxm2hPfCGtJUV4' +
    'QbD2cvvFqdgW0Ob8UermgW08K4/i/cc/YsfR2+keK1FUbKm4yjBEU3d6h5GmBxsvMTpS6u/xCQoPN0ZQV2yLr+L3HG6KngAAAAAA' +
    'AAAABg4WHysv',
} as const;
