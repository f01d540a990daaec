"""China's cross-border e-commerce import messages (CEB, namespace http://www.chinaport.gov.cn/ceb).

``CebAdapter`` reads the declarations (CEB311 order, CEB411 payment, CEB511 waybill, CEB621 import
inventory) into the canonical records; ``receipts`` writes the answers (CEB312, CEB412, CEB512,
CEB622). The research behind them is docs/standards/cn-ceb.md; the mapping is docs/messages.md.
"""

from clearway.messages.cn.adapter import CebAdapter

__all__ = ["CebAdapter"]
